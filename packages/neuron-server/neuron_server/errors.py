"""The errors a request can meet, each with the HTTP status it is answered with (see app.error_response)."""

from __future__ import annotations


class InputError(Exception):
    """The request itself is wrong (shape, type, value, size, content type): a 4xx whose message says what was expected."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class QuestionTooLongError(Exception):
    """The question alone leaves no room for the context: the caller's mistake, answered with a 400."""

    def __init__(self, max_seq_length: int) -> None:
        super().__init__(
            f"seq_0 (the question) is too long: with [CLS] and two [SEP] it must leave room for the context "
            f"within {max_seq_length} tokens; shorten the question."
        )


class QueueFullError(Exception):
    """The queue is full: answered with 503 and a Retry-After of retry_after_seconds."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"The server is at capacity; retry in {retry_after_seconds} s or add servers.")
        self.retry_after_seconds = retry_after_seconds


class RequestTimeoutError(Exception):
    """A request did not get its answer within the request timeout: answered with 504."""

    def __init__(self, timeout_ms: int) -> None:
        super().__init__(
            f"The request was not answered within {timeout_ms} ms; retry, or raise REQUEST_TIMEOUT_MS if the model is slow."
        )


class ModelLoadError(Exception):
    """A model directory that cannot be served; the message names the file and what to do."""


class SettingsError(Exception):
    """Bad settings: the message names each bad field, its environment variable, its value and what is allowed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Invalid model server settings:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems
