"""End to end: `factory serve` in a fresh clone, over real HTTP, while releases move the stage.

A release clone builds and releases wine-cultivar and pushes to a bare origin and a local DVC
remote; the service runs in a clone of that origin (its own process, on a free port of
127.0.0.1), fetches the tags as it polls, and loads models from the DVC remote.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.conftest import BIN, Runner, clone_built_examples, make_runner, project_env
from tests.conftest import run_factory as factory

pytestmark = [pytest.mark.e2e, pytest.mark.story]

WINE = "wine-cultivar"
TOKEN = "test-admin-token"
STARTUP_SECONDS = 180


@dataclass
class Service:
    """The running service and the clones around it."""

    url: str
    process: subprocess.Popen[str]
    release: Runner  # runs commands in the clone that builds and releases
    release_root: Path
    server: Runner  # runs commands in the service's own clone
    server_root: Path
    capture: Path
    remote: Path
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def new_version(run: Runner, root: Path, grid: str, stage: str) -> str:
    """Build wine-cultivar with another search grid, commit, push and release it to `stage`."""
    config = root / "use_cases" / WINE / "config.yaml"
    config.write_text(re.sub(r"C: \[.*\]", f"C: {grid}", config.read_text()))
    code, output = factory(run, "build", WINE)
    assert code == 0, output
    run("git", "commit", "-qam", f"wine-cultivar: C in {grid}", check=True)
    run("git", "push", "-q", "origin", "main", check=True)
    code, output = factory(run, "release", WINE, "--stage", stage)
    assert code == 0, output
    return output.split("released ")[1].split()[0]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    base = tmp_path_factory.mktemp("serve")
    release_root, origin, remote = base / "release", base / "origin.git", base / "dvc-remote"
    release = clone_built_examples(tmp_path_factory, release_root)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    release("git", "remote", "add", "origin", str(origin), check=True)
    release(sys.executable, "-m", "dvc", "remote", "add", "-d", "local", str(remote), check=True)
    release("git", "commit", "-qam", "a DVC remote", check=True)
    release("git", "push", "-q", "origin", "main", check=True)
    code, output = factory(release, "release", WINE)
    assert code == 0 and "released v1.0.0 to production" in output, output

    server_root = base / "server"
    subprocess.run(["git", "clone", "-q", str(origin), str(server_root)], check=True)
    server = make_runner(server_root)
    capture, log = base / "capture", base / "serve.log"
    port = free_port()
    env = {**project_env(server_root), "FACTORY_SERVE_TOKEN": TOKEN}
    command = [str(BIN / "factory"), "serve", WINE, "--port", str(port), "--poll-seconds", "1"]
    command += ["--capture", str(capture), "--capture-rate", "1", "--capture-roll-seconds", "1"]
    with log.open("w") as log_stream:
        process = subprocess.Popen(
            command, cwd=server_root, env=env, stdout=log_stream, stderr=subprocess.STDOUT, text=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: process.poll() is None and httpx.get(f"{url}/readyz").status_code == 200,
            STARTUP_SECONDS,
            "the service to be ready",
        )
        yield Service(url, process, release, release_root, server, server_root, capture, remote, log)
    finally:
        process.send_signal(signal.SIGINT)  # uvicorn's graceful stop: the capture writer flushes
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wine_rows(service: Service, count: int) -> pd.DataFrame:
    """Feature rows of the wine product, as a client would send them."""
    table = pd.read_parquet(service.release_root / "data" / "products" / "wine.parquet")
    return table.drop(columns=["cultivar", "sample_id"]).head(count)


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON objects; Python's JSON writes each float's shortest exact form."""
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict(orient="records")]


def predict(service: Service, body: object, client: httpx.Client | None = None) -> httpx.Response:
    poster = client or httpx
    return poster.post(f"{service.url}/v1/{WINE}/predict", json=body, timeout=60)  # type: ignore[union-attr]


def test_a_use_case_with_nothing_released_is_a_clear_error(service: Service) -> None:
    code, output = factory(service.server, "serve", "churn", "--port", str(free_port()), "--no-fetch")
    assert code == 2 and "cannot serve: churn: no version is in production" in output, output
    assert "Traceback" not in output and "Uvicorn running" not in output


def test_predictions_are_factory_scores_byte_for_byte(service: Service, tmp_path: Path) -> None:
    rows = wine_rows(service, 40)
    rows.to_parquet(tmp_path / "rows.parquet", index=False)
    code, output = factory(
        service.server,
        "score",
        WINE,
        "--input",
        str(tmp_path / "rows.parquet"),
        "--output",
        str(tmp_path / "scored.parquet"),
    )
    assert code == 0, output
    scored = pd.read_parquet(tmp_path / "scored.parquet")

    answer = predict(service, records(rows))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["use_case"] == WINE and body["version"] == "v1.0.0" and len(body["model_sha256"]) == 64
    assert body["predictions"] == scored["prediction"].tolist()
    proba = scored[[f"proba_{label}" for label in body["classes"]]].to_numpy().tolist()
    assert body["probabilities"] == proba  # exact float equality: JSON carries the shortest exact repr

    one = predict(service, records(rows.head(1))[0])
    assert one.status_code == 200 and one.json()["predictions"] == scored["prediction"].tolist()[:1]


def test_bad_requests_get_a_clear_4xx(service: Service) -> None:
    good = records(wine_rows(service, 1))[0]
    without_hue = {key: value for key, value in good.items() if key != "hue"}
    cases = [
        ({**good, "alcohol": "strong"}, 422, "record 0, field 'alcohol': input should be a valid number; got 'strong'"),
        (without_hue, 422, "record 0, field 'hue': field required"),
        ({**good, "vintage": 1999}, 422, "record 0, field 'vintage': extra inputs are not permitted"),
        ([good, {**good, "alcohol": None}], 422, "record 1, field 'alcohol'"),
        ([], 422, "expected at least one record; got an empty list"),
        ("rows", 422, "expected a JSON list of records or one record; got str"),
        ([{**good, "alcohol": -1.0}], 422, "column alcohol: check greater_than_or_equal_to(0.0) failed"),
        ([good] * 1001, 413, "expected at most 1000 records per request; got 1001"),
    ]
    for body, status, message in cases:
        answer = predict(service, body)
        assert answer.status_code == status and message in answer.json()["message"], (body, answer.text)
        assert "Traceback" not in answer.text
    oversized = httpx.post(
        f"{service.url}/v1/{WINE}/predict",
        content=b"[" + b" " * (1024 * 1024) + b"]",
        headers={"content-type": "application/json"},
    )
    assert oversized.status_code == 413 and "at most 1048576 bytes" in oversized.json()["message"]
    not_json = httpx.post(
        f"{service.url}/v1/{WINE}/predict", content=b"{rows", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["message"]
    unknown = httpx.post(f"{service.url}/v1/churn/predict", json=[good])
    assert unknown.status_code == 404 and f"/v1/{WINE}/predict" in unknown.json()["message"]


def test_health_models_metrics_and_openapi(service: Service) -> None:
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
    (model,) = httpx.get(f"{service.url}/v1/models").json()
    assert model["use_case"] == WINE and model["version"] == "v1.0.0" and model["since"] and model["problem"] is None
    schema = httpx.get(f"{service.url}/openapi.json").json()
    body = schema["paths"][f"/v1/{WINE}/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    row = body["anyOf"][1]
    assert row["additionalProperties"] is False and row["properties"]["alcohol"]["type"] == "number"
    assert "alcohol" in row["required"] and len(row["properties"]) == 13
    assert httpx.get(f"{service.url}/docs").status_code == 200
    metrics = httpx.get(f"{service.url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert f'factory_requests_total{{status="200",use_case="{WINE}",version="v1.0.0"}}' in text
    assert f'factory_requests_total{{status="422",use_case="{WINE}",version="v1.0.0"}}' in text
    assert "factory_request_seconds_bucket" in text and "factory_rows_total" in text
    assert (
        f'factory_model_info{{model_sha256="{model["model_sha256"]}",use_case="{WINE}",version="v1.0.0"}} 1.0' in text
    )


def served_version(service: Service) -> str:
    return str(httpx.get(f"{service.url}/v1/models").json()[0]["version"])


def test_promote_and_rollback_under_load_fail_no_request(service: Service) -> None:
    version = new_version(service.release, service.release_root, "[0.01, 0.1, 1.0, 10.0, 12.0]", "staging")
    assert version == "v1.1.0"
    rows = records(wine_rows(service, 5))
    stop, answers, errors = threading.Event(), [], []

    def client() -> None:
        with httpx.Client(timeout=60) as session:
            while not stop.is_set():
                try:
                    answer = predict(service, rows, session)
                    answers.append(
                        (answer.status_code, answer.json().get("version"), answer.json().get("model_sha256"))
                    )
                except httpx.HTTPError as exc:  # a failed request is what this test is about
                    errors.append(repr(exc))

    clients = [threading.Thread(target=client) for _ in range(20)]
    for thread in clients:
        thread.start()
    try:
        code, output = factory(service.release, "promote", WINE, "--version", "v1.1.0", "--stage", "production")
        assert code == 0, output
        wait_until(lambda: served_version(service) == "v1.1.0", 120, "the service to serve v1.1.0")
        wait_until(lambda: any(answer[1] == "v1.1.0" for answer in answers), 60, "an answer from v1.1.0")
        code, output = factory(service.release, "rollback", WINE)
        assert code == 0, output
        wait_until(lambda: served_version(service) == "v1.0.0", 120, "the service to serve v1.0.0 again")
        seen = len(answers)
        wait_until(lambda: len(answers) > seen + 20, 60, "answers after the rollback")
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    assert not errors, errors[:3]
    assert {status for status, _, _ in answers} == {200}
    versions = [version for _, version, _ in answers]
    assert {"v1.0.0", "v1.1.0"} <= set(versions) and versions[-1] == "v1.0.0"
    shas = {version: {sha for _, v, sha in answers if v == version} for version in ("v1.0.0", "v1.1.0")}
    assert all(len(found) == 1 for found in shas.values()) and shas["v1.0.0"] != shas["v1.1.0"], shas


def test_a_tampered_model_is_refused_and_the_old_one_keeps_serving(service: Service) -> None:
    version = new_version(service.release, service.release_root, "[11.0]", "staging")
    lock = (service.release_root / "use_cases" / WINE / "dvc.lock").read_text()
    import yaml

    (model_md5,) = [
        out["md5"] for out in yaml.safe_load(lock)["stages"]["train"]["outs"] if out["path"] == "artifacts/model.skops"
    ]
    stored = service.remote / "files" / "md5" / model_md5[:2] / model_md5[2:]
    stored.chmod(0o644)
    original = stored.read_bytes()
    middle = len(original) // 2
    stored.write_bytes(original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1 :])
    code, output = factory(service.release, "promote", WINE, "--version", version, "--stage", "production")
    assert code == 0, output

    # The poller finds the moved stage and refuses the version once; it does not try again every poll.
    wait_until(lambda: httpx.get(f"{service.url}/v1/models").json()[0]["problem"], 60, "the poller's refusal")
    time.sleep(3)
    refused = httpx.post(f"{service.url}/admin/reload", headers={"authorization": "Bearer wrong"})
    assert refused.status_code == 401
    reload = httpx.post(f"{service.url}/admin/reload", headers={"authorization": f"Bearer {TOKEN}"}, timeout=120)
    assert reload.status_code == 200, reload.text
    problem = reload.json()["problems"].get(WINE, reload.text)
    assert f"{version} not loaded" in problem and "still serving v1.0.0" in problem, problem
    ready = httpx.get(f"{service.url}/readyz")
    assert ready.status_code == 200 and ready.json()["problems"][WINE] == problem
    answer = predict(service, records(wine_rows(service, 2)))
    assert answer.status_code == 200 and answer.json()["version"] == "v1.0.0"
    log = service.log.read_text()
    assert log.count(f"{version} not loaded") == 2, log  # the poller's refusal, then the reload's
    metrics = httpx.get(f"{service.url}/metrics").text
    assert f'factory_reload_failures_total{{use_case="{WINE}"}} 2.0' in metrics


def test_captured_traffic_is_read_by_factory_monitor(service: Service) -> None:
    folder = service.capture / WINE
    wait_until(lambda: any(folder.glob("*.parquet")), 30, "a captured file")
    captured = pd.concat([pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))])
    assert {"alcohol", "prediction", "model_version", "captured_at"} <= set(captured.columns)
    assert set(captured["model_version"]) <= {"v1.0.0", "v1.1.0"}

    done = service.server(str(BIN / "factory"), "monitor", WINE, "--input", str(folder), "--version", "v1.0.0")
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    log = service.server_root / "use_cases" / WINE / "monitoring" / "log.jsonl"
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["rows"] >= len(captured) and len(record["input_sha256"]) == 64

    done = service.server(str(BIN / "factory"), "ci", "monitor", "--inputs", str(service.capture))
    assert "no batch" not in done.stdout + done.stderr and "Traceback" not in done.stderr, done.stdout + done.stderr


def test_the_service_stops_with_its_capture_flushed(service: Service) -> None:
    service.process.send_signal(signal.SIGINT)
    assert service.process.wait(timeout=60) == 0
    assert "Application shutdown complete" in service.log.read_text()
    leftovers = [path for path in service.capture.rglob("*") if path.name.startswith(".")]
    assert not leftovers, leftovers
    assert os.environ.get("FACTORY_SERVE_TOKEN") is None  # the token lived in the service's environment only
