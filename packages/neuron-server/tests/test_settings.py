import pytest

from neuron_server.errors import SettingsError
from neuron_server.settings import SETTINGS_ENV, Settings


def test_defaults_match_the_onnx_runtime_server() -> None:
    s = Settings.from_env({})
    assert (s.num_models, s.port, s.host, s.max_batch, s.max_queue_delay_ms, s.max_queue) == (1, 8080, "0.0.0.0", 4, 0, 256)
    assert (s.request_timeout_ms, s.max_seq_length, s.padding, s.postprocess, s.drain_timeout_ms, s.max_body_bytes) == (10_000, None, "dynamic", True, 20_000, 262_144)
    assert s.execution_providers == ("neuron", "cpu")


def test_reads_the_same_environment_variables() -> None:
    s = Settings.from_env({"MODEL_DIR": "/m", "NUM_MODELS": "3", "PORT": "9000", "MAX_BATCH": "8", "MAX_QUEUE_DELAY_MS": "0.5",
                           "PADDING": "fixed", "QUIET": "yes", "POSTPROCESS": "0", "EXECUTION_PROVIDERS": "cpu", "MAX_SEQ_LENGTH": "64",
                           "NEURON_COMPILER_ARGS": "--auto-cast none", "INFERENCE_WORKERS": "1"})
    assert (s.model_dir, s.num_models, s.port, s.max_batch, s.max_queue_delay_ms, s.padding, s.quiet, s.postprocess) == ("/m", 3, 9000, 8, 0.5, "fixed", True, False)
    assert (s.execution_providers, s.max_seq_length, s.neuron_compiler_args) == (("cpu",), 64, ("--auto-cast", "none"))
    assert SETTINGS_ENV["max_queue"] == "MAX_QUEUE"


def test_model_source_is_an_alias_of_model_dir() -> None:
    assert Settings.from_env({"MODEL_SOURCE": "s3://bucket/models/tiny"}).model_dir == "s3://bucket/models/tiny"


@pytest.mark.parametrize(("env", "fragment"), [
    ({"MAX_BATCH": "0"}, "max_batch (MAX_BATCH) = '0': must be from 1 to 256"),
    ({"PORT": "http"}, "port (PORT) = 'http': must be an integer"),
    ({"PADDING": "none"}, "must be one of dynamic, fixed"),
    ({"EXECUTION_PROVIDERS": "cuda,cpu"}, 'must be a comma-separated list of "neuron" and "cpu"'),
    ({"QUIET": "maybe"}, "must be true or false"),
    ({"MODEL_REPO": "s3://b/many"}, "MODEL_REPO is set, but repository mode"),
])
def test_bad_values_name_the_variable_and_what_is_allowed(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert fragment in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"MAX_BATCH": "0", "MAX_QUEUE": "-1"})
    assert len(caught.value.problems) == 2
