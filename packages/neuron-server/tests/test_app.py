"""The HTTP contract of the ONNX Runtime server (packages/model-server/src/http/app.ts), against create_app with TestClient."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Iterator

import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

from neuron_server.app import ServerState, create_app
from neuron_server.backends import ClassLogits, ModelRunner, Row, RowLogits
from neuron_server.batch_queue import BatchQueue, QueueOptions
from neuron_server.registry import LoadedModel, ModelRegistry
from neuron_server.sample_defaults import DEFAULT_CONTEXT, DEFAULT_QUESTION
from neuron_server.settings import Settings

SETTINGS = Settings(quiet=True, max_body_bytes=4096, execution_providers=("cpu",))


@pytest.fixture()
def client(shared_models: list[LoadedModel]) -> Iterator[TestClient]:
    with TestClient(create_app(SETTINGS, ModelRegistry.of(shared_models))) as test_client:
        yield test_client


def _tokens(ids: list[list[int]], **extra: list[list[int]]) -> dict[str, Any]:
    shape = [len(ids), len(ids[0])]
    tensors = [{"name": "input_ids", "shape": shape, "datatype": "INT64", "data": ids}]
    tensors += [{"name": name, "shape": shape, "datatype": "INT64", "data": value} for name, value in extra.items()]
    return {"inputs": tensors}


class TestSampleRoutes:
    def test_health(self, client: TestClient) -> None:
        response = client.get("/")
        assert response.status_code == 200 and response.json() == {"Status": "Healthy"}

    def test_answers_the_sample_question_by_default(self, client: TestClient) -> None:
        default = client.get("/predictions/model0").json()
        assert isinstance(default["detail"], str) and default["detail"]
        explicit = client.get("/predictions/model1", params={"seq_0": DEFAULT_QUESTION, "seq_1": DEFAULT_CONTEXT}).json()
        assert explicit == default

    @pytest.mark.parametrize("how", ["query", "json", "form", "multipart", "multipart file"])
    def test_takes_seq_0_and_seq_1_from_query_json_and_forms(self, client: TestClient, how: str) -> None:
        fields = {"seq_0": "What color is the sky?", "seq_1": "The sky is blue and the grass is green."}
        if how == "query":
            response = client.get("/predictions/model0", params=fields)
        elif how == "json":
            response = client.post("/predictions/model0", json=fields)
        elif how == "form":
            response = client.post("/predictions/model0", data=fields)
        elif how == "multipart":
            response = client.post("/predictions/model0", files={key: (None, value) for key, value in fields.items()})
        else:  # a field sent as a file part, as a browser's FormData with a Blob does
            response = client.post("/predictions/model0", data={"seq_0": fields["seq_0"]}, files={"seq_1": ("c.txt", fields["seq_1"].encode(), "text/plain")})
        assert response.status_code == 200
        assert response.json() == client.get("/predictions/model0", params=fields).json()

    def test_unknown_model_is_404_naming_the_models(self, client: TestClient) -> None:
        response = client.get("/predictions/nope")
        assert response.status_code == 404
        assert response.json() == {"detail": "Model nope does not exist. Try one of: model0, model1."}

    @pytest.mark.parametrize(("content", "headers", "status", "fragment"), [
        ("[1, 2]", {"content-type": "application/json"}, 400, "must be a JSON object"),
        ('{"seq_0": 5}', {"content-type": "application/json"}, 400, "seq_0 must be a string, got number"),
        ('{"seq_0": ', {"content-type": "application/json"}, 400, "The body is not valid JSON; check its quotes, commas and brackets."),
        ('{"seq_0": NaN}', {"content-type": "application/json"}, 400, "The body is not valid JSON"),
        ("seq_0=hi", {"content-type": "text/plain"}, 415, 'or as form fields (application/x-www-form-urlencoded or multipart/form-data); got "text/plain".'),
        ("--x\r\nnot multipart", {"content-type": "multipart/form-data; boundary=xyz"}, 400, "The multipart/form-data body could not be read"),
        ("x" * 5000, {"content-type": "application/json"}, 413, "larger than 4096 bytes"),
    ])
    def test_bad_bodies_are_4xx_json_in_the_samples_shape(self, client: TestClient, content: str, headers: dict[str, str], status: int, fragment: str) -> None:
        response = client.post("/predictions/model0", content=content, headers=headers)
        assert response.status_code == status and fragment in response.json()["detail"]

    def test_a_chunked_body_over_the_limit_is_413(self, client: TestClient) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(10):
                yield b"x" * 1000

        response = client.post("/predictions/model0", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413

    def test_a_question_too_long_is_400(self, client: TestClient) -> None:
        response = client.post("/predictions/model0", json={"seq_0": "word " * 200})
        assert response.status_code == 400 and "seq_0 (the question) is too long" in response.json()["detail"]


class TestOpenInferenceProtocol:
    def test_health_and_metadata(self, client: TestClient) -> None:
        assert client.get("/v2/health/live").json() == {"live": True}
        assert client.get("/v2/health/ready").json() == {"ready": True}
        assert client.get("/v2/models/model1/ready").json() == {"name": "model1", "ready": True}
        meta = client.get("/v2/models/model0").json()
        assert meta["name"] == "model0" and meta["parameters"] == {"execution_provider": "cpu", "max_sequence_length": 128}
        assert [i["name"] for i in meta["inputs"]] == ["seq_0", "seq_1", "input_ids", "attention_mask", "token_type_ids"]
        assert client.get("/v2").json()["name"] == "inference-fleet-neuron-server"
        assert client.post("/v2/repository/index").json() == [{"name": "model0", "state": "READY", "reason": ""}, {"name": "model1", "state": "READY", "reason": ""}]

    def test_unknown_model_is_404_in_the_protocols_shape(self, client: TestClient) -> None:
        for response in (client.get("/v2/models/nope"), client.get("/v2/models/nope/ready"), client.post("/v2/models/nope/infer", json={})):
            assert response.status_code == 404 and response.json() == {"error": "Model nope does not exist. Try one of: model0, model1."}

    def test_text_infer_answers_each_row(self, client: TestClient) -> None:
        body = {"id": "r1", "inputs": [{"name": "seq_0", "shape": [2], "datatype": "BYTES", "data": ["What is blue?", DEFAULT_QUESTION]},
                                       {"name": "seq_1", "shape": [2], "datatype": "BYTES", "data": ["The sky is blue.", DEFAULT_CONTEXT]}]}
        answer = client.post("/v2/models/model0/infer", json=body).json()
        assert answer["model_name"] == "model0" and answer["id"] == "r1" and answer["outputs"][0]["shape"] == [2]
        assert answer["outputs"][0]["data"][1] == client.get("/predictions/model0").json()["detail"]

    def test_token_infer_returns_fp32_logits_per_token(self, client: TestClient) -> None:
        ids = [[101, 7592, 2088, 102, 2023, 2003, 102], [101, 2054, 102, 2003, 102, 0, 0]]
        body = _tokens(ids, attention_mask=[[1] * 7, [1] * 5 + [0] * 2], token_type_ids=[[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 0, 0]])
        outputs = client.post("/v2/models/model0/infer", json=body).json()["outputs"]
        assert [(o["name"], o["datatype"], o["shape"]) for o in outputs] == [("start_logits", "FP32", [2, 7]), ("end_logits", "FP32", [2, 7])]
        alone = client.post("/v2/models/model0/infer", json=_tokens([ids[0]], token_type_ids=[[0, 0, 0, 0, 1, 1, 1]])).json()["outputs"]
        assert np.allclose(outputs[0]["data"][:7], alone[0]["data"], atol=1e-5)

    @pytest.mark.parametrize(("body", "fragment"), [
        ({}, 'non-empty "inputs" array'),
        ({"inputs": [{"name": "input_ids", "shape": [1, 3], "datatype": "INT64", "data": [1, 2]}]}, "needs 3 values, but data has 2"),
        ({"inputs": [{"name": "input_ids", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}, "must have datatype INT64"),
        ({"inputs": [{"name": "input_ids", "shape": [1, 2], "datatype": "INT64", "data": [1, 99999]}]}, "value 99999 at position 1 is not a token id"),
        ({"inputs": [{"name": "input_ids", "shape": [1, 2], "datatype": "INT64", "data": [1, "2"]}]}, 'value "2" at position 1'),
        ({"inputs": [{"name": "input_ids", "shape": [1, 200], "datatype": "INT64", "data": [1] * 200}]}, "at most 128 tokens"),
        ({"inputs": [{"name": "input_ids", "shape": [65, 1], "datatype": "INT64", "data": [1] * 65}]}, "At most 64 sequences"),
        ({"inputs": [{"name": "input_ids", "shape": [1, 2], "datatype": "INT64", "data": [1, 2]},
                     {"name": "attention_mask", "shape": [1, 3], "datatype": "INT64", "data": [1, 1, 1]}]}, "must have the shape of input_ids"),
        ({"inputs": [{"name": "pixels", "shape": [1], "datatype": "INT64", "data": [1]}]}, "Unknown input pixels"),
        ({"inputs": [{"name": "seq_0", "shape": [1], "datatype": "BYTES", "data": ["a"]}] * 2}, "given twice"),
        ({"inputs": [{"name": "seq_0", "shape": [1], "datatype": "BYTES", "data": [3]}]}, "every value of a BYTES tensor must be a string"),
    ])
    def test_bad_tensors_are_400_saying_what_was_expected(self, client: TestClient, body: dict[str, Any], fragment: str) -> None:
        response = client.post("/v2/models/model0/infer", json=body)
        assert response.status_code == 400 and fragment in response.json()["error"]

    def test_wrong_content_type_is_415_and_a_big_body_413(self, client: TestClient) -> None:
        assert client.post("/v2/models/model0/infer", content="{}", headers={"content-type": "text/plain"}).status_code == 415
        response = client.post("/v2/models/model0/infer", content="x" * 5000, headers={"content-type": "application/json"})
        assert response.status_code == 413 and "larger than 4096 bytes" in response.json()["error"]


class TestErrorsAndMetrics:
    def test_wrong_method_is_405_with_allow(self, client: TestClient) -> None:
        response = client.post("/v2/health/ready")
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
        assert response.json() == {"error": "POST is not allowed on /v2/health/ready; use GET, HEAD."}

    def test_unknown_route_is_404_listing_the_routes(self, client: TestClient) -> None:
        response = client.get("/nothing/here")
        assert response.status_code == 404 and response.json()["error"].startswith("There is no route GET /nothing/here. Routes: GET /,")

    def test_metrics_have_the_onnx_runtime_servers_names_and_labels(self, client: TestClient) -> None:
        client.get("/predictions/model1")
        client.get("/predictions/nope")
        client.get("/nothing")
        text = client.get("/metrics").text
        for line in (
            'model_server_requests_total{model="model1",route="/predictions/:model",status="200"} 1.0',
            'model_server_requests_total{model="-",route="/predictions/:model",status="404"} 1.0',
            'model_server_requests_total{model="-",route="unmatched",status="404"} 1.0',
            'model_server_request_duration_seconds_bucket{le="0.0005",route="/predictions/:model"}',
            'model_server_batch_size_bucket{le="1.0",session="shared"}',
            'model_server_inference_duration_seconds_count{session="shared"}',
            'model_server_queue_depth{session="shared"} 0.0',
            "model_server_process_resident_memory_bytes ",
            "model_server_resident_models 0.0",
        ):
            assert line in text, line


class BlockingRunner:
    """A runner that holds each run until released (or raises), for queue-full, timeout and 500 answers."""

    def __init__(self, fail: bool = False) -> None:
        self.release = threading.Event()
        self.fail = fail

    def run(self, rows: list[Row]) -> list[RowLogits | ClassLogits]:
        if self.fail:
            raise RuntimeError("secret device detail /dev/neuron0")
        self.release.wait(5)
        return [RowLogits(np.zeros(len(r.ids), np.float32), np.zeros(len(r.ids), np.float32)) for r in rows]


def _blocked_app(shared: LoadedModel, runner: BlockingRunner, **options: Any) -> tuple[Any, ServerState]:
    queue = BatchQueue(runner.run, QueueOptions(**{"max_batch": 1, "max_queue_delay_ms": 0, "max_queue": 1, "request_timeout_ms": 5000, **options}))
    model = LoadedModel("model0", shared.tokenizer, 128, queue, ModelRunner("model0", "cpu", 128, "dynamic", {}))
    state = ServerState()
    return create_app(SETTINGS, ModelRegistry.of([model]), state=state), state


def _request_all(app: Any, count: int, release: threading.Event | None = None) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            pending = [asyncio.ensure_future(http.get("/predictions/model0")) for _ in range(count)]
            await asyncio.sleep(0.3)
            if release is not None:
                release.set()
            return list(await asyncio.gather(*pending))

    return asyncio.run(main())


def test_a_full_queue_is_503_with_retry_after(shared_models: list[LoadedModel]) -> None:
    runner = BlockingRunner()
    app, _ = _blocked_app(shared_models[0], runner)
    responses = _request_all(app, 3, runner.release)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 503]
    full = next(r for r in responses if r.status_code == 503)
    assert int(full.headers["retry-after"]) >= 1 and "at capacity" in full.json()["detail"]


def test_a_late_answer_is_504(shared_models: list[LoadedModel]) -> None:
    runner = BlockingRunner()
    app, _ = _blocked_app(shared_models[0], runner, request_timeout_ms=50)
    response = _request_all(app, 1)[0]
    runner.release.set()
    assert response.status_code == 504 and "REQUEST_TIMEOUT_MS" in response.json()["detail"]


def test_an_unexpected_error_is_a_generic_500(shared_models: list[LoadedModel]) -> None:
    app, _ = _blocked_app(shared_models[0], BlockingRunner(fail=True))
    response = _request_all(app, 1)[0]
    assert response.status_code == 500 and "/dev/neuron0" not in response.text and "logged" in response.json()["detail"]


def test_while_loading_readiness_is_false_and_models_answer_503(shared_models: list[LoadedModel]) -> None:
    with TestClient(create_app(SETTINGS, ModelRegistry(["model0"]))) as client:
        assert client.get("/v2/health/live").status_code == 200
        assert client.get("/v2/health/ready").status_code == 503
        ready = client.get("/v2/models/model0/ready")
        assert ready.status_code == 503 and "loading" in ready.json()["reason"]
        assert client.get("/v2/models/model0").json()["parameters"] == {"execution_provider": "loading"}
        response = client.get("/predictions/model0")
        assert response.status_code == 503 and response.headers["retry-after"] == "5" and "still loading" in response.json()["detail"]


def test_while_draining_readiness_is_false_and_connections_close(shared_models: list[LoadedModel]) -> None:
    state = ServerState()
    with TestClient(create_app(SETTINGS, ModelRegistry.of(shared_models), state=state)) as client:
        state.draining = True
        response = client.get("/v2/health/ready")
        assert response.status_code == 503 and response.json() == {"ready": False}
        assert client.get("/v2/models/model0/ready").status_code == 503
        answered = client.get("/predictions/model0")
        assert answered.status_code == 200 and answered.headers["connection"] == "close"


def test_postprocess_off_returns_the_logits_summary(shared_models: list[LoadedModel]) -> None:
    settings = Settings(quiet=True, postprocess=False)
    with TestClient(create_app(settings, ModelRegistry.of(shared_models))) as client:
        detail = client.get("/predictions/model0").json()["detail"]
        assert detail.startswith("start_logits argmax ") and detail.endswith(", 59 tokens")


def test_metrics_can_move_to_their_own_port(shared_models: list[LoadedModel]) -> None:
    with TestClient(create_app(Settings(quiet=True, metrics_port=9100), ModelRegistry.of(shared_models))) as client:
        assert client.get("/metrics").status_code == 404
