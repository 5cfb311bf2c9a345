"""Serving overhead: `factory serve` against a bare FastAPI app scoring the same model.

In a temporary Git + DVC repository of this checkout, wine-cultivar is built and released to
production. Three servers then run side by side, each its own process on 127.0.0.1 (uvicorn,
one worker): `factory serve wine-cultivar` without capture, the same with `--capture` at the
default rate (0.1), and a bare FastAPI app that loads the same model file and answers
`predict_proba` of `pd.DataFrame(records)`, with no validation (the baseline). Each gets the
same request bodies (wine feature rows): sequential 1-row and 100-row requests on one
keep-alive connection (latency p50 and p99), then 1-row requests from concurrent clients for a
fixed time (throughput). The servers take turns within each round so the machine's drift hits
all of them; the figures are medians over the rounds. Targets: the factory's p50 at most 1.2x
the bare app's (1 row and 100 rows); throughput with capture at least 0.90x without.

    .venv/bin/python benchmarks/serving.py [--requests 1000] [--requests-100 300] [--rounds 3]
        [--seconds 10] [--clients 8] [--warmup 50]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's helpers copy and run a project the same way

from tests.conftest import BIN, copy_project, project_env  # noqa: E402

NAME = "wine-cultivar"
ROUTE = f"/v1/{NAME}/predict"
STARTUP_SECONDS = 180
STOP_SECONDS = 30
SERVERS = ("bare", "factory", "factory+capture")

# The baseline: what anyone would write to put this model behind HTTP, and nothing more.
BARE_APP = '''\
"""A bare FastAPI app: the released model, `predict_proba` of the records, no validation."""

import json
import os
from pathlib import Path

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from factory.io import load_model_bytes

MODEL = load_model_bytes(Path(os.environ["BARE_MODEL"]).read_bytes(), "model.skops")
COLUMNS = json.loads(os.environ["BARE_COLUMNS"])
CLASSES = MODEL.classes_.tolist()
app = FastAPI()


@app.get("/readyz")
def readyz() -> dict[str, bool]:
    return {"ready": True}


@app.post("/v1/{NAME}/predict")
async def predict(request: Request) -> JSONResponse:
    body = await request.json()
    records = [body] if isinstance(body, dict) else body
    proba = MODEL.predict_proba(pd.DataFrame(records, columns=COLUMNS))
    predictions = MODEL.classes_[proba.argmax(axis=1)].tolist()
    return JSONResponse({"predictions": predictions, "classes": CLASSES, "probabilities": proba.tolist()})
'''.replace("{NAME}", NAME)


class Stop(Exception):
    """SIGTERM (or SIGHUP) reached the script: unwind through every `finally` that stops a server."""


def run(root: Path, *args: str) -> str:
    """Run a command in `root`; its output, or exit naming the command when it fails."""
    done = subprocess.run(list(args), cwd=root, env=project_env(root), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def released_repository(root: Path, remote: Path) -> None:
    """This checkout's sources in a Git + DVC repository at `root`, wine-cultivar built and released."""
    copy_project(root)
    python = sys.executable
    run(root, "git", "init", "-q", "-b", "main")
    run(root, python, "-m", "dvc", "init", "-q")
    run(root, python, "-m", "dvc", "config", "core.analytics", "false")
    run(root, python, "-m", "dvc", "remote", "add", "-d", "local", str(remote))
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-q", "-m", "project")
    run(root, str(BIN / "factory"), "build", NAME)
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-q", "-m", f"build {NAME}")
    run(root, str(BIN / "factory"), "release", NAME)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One running server: its URL and process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def started(name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[Server]:
    """Start a server and wait until it is ready; it is stopped on leaving, whatever happened."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as stream:
        # A session of its own: a terminal's Ctrl-C reaches only this script, which stops the
        # server itself in order; and the group's id reaches any child the server might start.
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited ({process.returncode}) before it was ready:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} was not ready within {STARTUP_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.25)
        yield Server(name, url, process, log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (uvicorn's graceful stop), then SIGKILL to what is left."""
    try:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_SECONDS)
    finally:
        # Also after a graceful stop (or a second Ctrl-C while waiting for one): a child the server
        # left in its group would otherwise outlive the script.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Figures:
    """One server's measurements over the rounds."""

    p50_1: list[float] = field(default_factory=list)
    p99_1: list[float] = field(default_factory=list)
    p50_100: list[float] = field(default_factory=list)
    p99_100: list[float] = field(default_factory=list)
    throughput: list[float] = field(default_factory=list)
    cpu_per_request: list[float] = field(default_factory=list)  # server CPU seconds, throughput phase
    requests: int = 0
    failures: list[str] = field(default_factory=list)


def check(response: httpx.Response, figures: Figures) -> None:
    """Count the request; keep a note of any answer that is not 200."""
    figures.requests += 1
    if response.status_code != 200:
        figures.failures.append(f"{response.status_code}: {response.text[:200]}")


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile of `values` (linear between the nearest ranks)."""
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latencies(server: Server, bodies: list[bytes], count: int, figures: Figures) -> list[float]:
    """Seconds of `count` sequential requests on one keep-alive connection, cycling through `bodies`."""
    seconds = []
    with httpx.Client(base_url=server.url, headers={"content-type": "application/json"}, timeout=60) as client:
        for index in range(count):
            started_at = time.perf_counter()
            response = client.post(ROUTE, content=bodies[index % len(bodies)])
            seconds.append(time.perf_counter() - started_at)
            check(response, figures)
    return seconds


def throughput(server: Server, bodies: list[bytes], clients: int, duration: float, figures: Figures) -> float:
    """Requests per second answered to `clients` threads, each with its own connection, for `duration`."""
    counts = [0] * clients
    notes: list[list[str]] = [[] for _ in range(clients)]
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client_loop(number: int) -> None:
        with httpx.Client(base_url=server.url, headers={"content-type": "application/json"}, timeout=60) as client:
            try:
                client.post(ROUTE, content=bodies[number])  # open the connection before the clock starts
            except httpx.HTTPError as exc:
                notes[number].append(f"{type(exc).__name__}: {exc}")
                failed = True
            else:
                failed = False
            finally:
                ready.wait()  # also after a failure, so the other clients and the clock are not kept waiting
            if failed:
                return
            index = number
            while time.perf_counter() < deadline[0]:
                try:
                    response = client.post(ROUTE, content=bodies[index % len(bodies)])
                except httpx.HTTPError as exc:  # counted as a failure; this client stops, the others go on
                    notes[number].append(f"{type(exc).__name__}: {exc}")
                    return
                counts[number] += 1
                if response.status_code != 200:
                    notes[number].append(f"{response.status_code}: {response.text[:200]}")
                index += clients

    threads = [threading.Thread(target=client_loop, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + duration
    ready.wait()  # every client has its connection open: the clock starts
    began, cpu_before = time.perf_counter(), server.cpu_seconds()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began  # to the last answer: requests in flight at the deadline count
    answered = sum(counts)
    figures.requests += answered
    figures.failures.extend(note for group in notes for note in group)
    figures.cpu_per_request.append((server.cpu_seconds() - cpu_before) / max(answered, 1))
    return answered / elapsed


def measure_latency(server: Server, bodies: dict[int, list[bytes]], args: argparse.Namespace, figures: Figures) -> None:
    """One round of the sequential 1-row and 100-row requests against one server."""
    latencies(server, bodies[1], args.warmup, Figures())  # warm-up: caches, connection, first-call paths
    latencies(server, bodies[100], max(args.warmup // 5, 1), Figures())
    one = latencies(server, bodies[1], args.requests, figures)
    hundred = latencies(server, bodies[100], args.requests_100, figures)
    figures.p50_1.append(percentile(one, 0.50))
    figures.p99_1.append(percentile(one, 0.99))
    figures.p50_100.append(percentile(hundred, 0.50))
    figures.p99_100.append(percentile(hundred, 0.99))
    print(
        f"  {server.name:<16} p50 {figures.p50_1[-1] * 1e3:.2f} ms (1 row), {figures.p50_100[-1] * 1e3:.2f} ms"
        f" (100 rows)",
        flush=True,
    )


def measure_throughput(
    server: Server, bodies: dict[int, list[bytes]], args: argparse.Namespace, figures: Figures
) -> None:
    """One round of the concurrent 1-row requests against one server."""
    figures.throughput.append(throughput(server, bodies[1], args.clients, args.seconds, figures))
    print(
        f"  {server.name:<16} {figures.throughput[-1]:.0f} req/s,"
        f" server CPU {figures.cpu_per_request[-1] * 1e3:.2f} ms per request",
        flush=True,
    )


def request_bodies(root: Path) -> dict[int, list[bytes]]:
    """JSON bodies of 1 and of 100 wine feature rows, as a client would send them."""
    table = pd.read_parquet(root / "data" / "products" / "wine.parquet")
    records = table.drop(columns=["cultivar", "sample_id"]).to_dict(orient="records")
    ones = [json.dumps([record]).encode() for record in records]
    hundreds = [json.dumps(records[start : start + 100]).encode() for start in range(0, len(records) - 99, 7)]
    return {1: ones, 100: hundreds}


def same_answers(servers: dict[str, Server], body: bytes) -> str | None:
    """None when every server predicts the same classes for `body`; else what differs."""
    answers = {}
    for name, server in servers.items():
        response = httpx.post(server.url + ROUTE, content=body, headers={"content-type": "application/json"})
        answers[name] = response.json().get("predictions")
    distinct = {json.dumps(value) for value in answers.values()}
    return None if len(distinct) == 1 else f"predictions differ: {answers}"


def captured_rows(server: Server) -> tuple[float, float]:
    """(rows captured, rows dropped) as the server's metrics count them."""
    text = httpx.get(f"{server.url}/metrics").text

    def total(metric: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(metric + "{"))

    return total("factory_captured_rows_total"), total("factory_capture_dropped_rows_total")


def report(figures: dict[str, Figures], args: argparse.Namespace) -> None:
    """Print the medians, the ratios against their targets, and every failed request."""
    median = statistics.median
    print(f"\nmedians of {args.rounds} round(s); latency in ms, throughput with {args.clients} clients")
    header = f"{'server':<17} {'1 row p50':>10} {'1 row p99':>10} {'100 rows p50':>13} {'100 rows p99':>13}"
    print(header + f" {'req/s':>8} {'server CPU/req':>15}")
    for name, values in figures.items():
        print(
            f"{name:<17} {median(values.p50_1) * 1e3:>10.2f} {median(values.p99_1) * 1e3:>10.2f}"
            f" {median(values.p50_100) * 1e3:>13.2f} {median(values.p99_100) * 1e3:>13.2f}"
            f" {median(values.throughput):>8.0f} {median(values.cpu_per_request) * 1e3:>12.2f} ms"
        )
    print("\nper round (p50 1 row, p50 100 rows, throughput, server CPU per request):")
    for name, values in figures.items():
        rounds = zip(values.p50_1, values.p50_100, values.throughput, values.cpu_per_request, strict=True)
        shown = "; ".join(f"{a * 1e3:.2f}, {b * 1e3:.2f} ms, {c:.0f}/s, {d * 1e3:.1f} ms" for a, b, c, d in rounds)
        print(f"  {name:<17} {shown}")

    bare, plain, capture = figures["bare"], figures["factory"], figures["factory+capture"]
    targets = [
        ("factory / bare, p50 1 row", plain.p50_1, bare.p50_1, "<=", 1.2),
        ("factory / bare, p50 100 rows", plain.p50_100, bare.p50_100, "<=", 1.2),
        ("throughput capture / none", capture.throughput, plain.throughput, ">=", 0.9),
    ]
    print(f"\n{'ratio':<30} {'of medians':>10} {'median of the round pairs':>26}")
    for label, numerator, denominator, sense, target in targets:
        # The pairs of one round were measured minutes apart at most; the medians may come from different rounds.
        of_medians = median(numerator) / median(denominator)
        of_pairs = median(a / b for a, b in zip(numerator, denominator, strict=True))
        met = [(ratio <= target) if sense == "<=" else (ratio >= target) for ratio in (of_medians, of_pairs)]
        shown = ", ".join(verdict(value) for value in met)
        print(f"{label:<30} {of_medians:>10.2f} {of_pairs:>26.2f}  (target {sense} {target:.2f}: {shown})")
    print("for scale, not a target:")
    print(f"  {'factory / bare, p99 1 row':<28} {median(plain.p99_1) / median(bare.p99_1):>6.2f}")
    print(f"  {'factory / bare, p99 100 rows':<28} {median(plain.p99_100) / median(bare.p99_100):>6.2f}")
    print(f"  {'throughput factory / bare':<28} {median(plain.throughput) / median(bare.throughput):>6.2f}")

    print()
    for name, values in figures.items():
        print(f"{name}: {values.requests} requests, {len(values.failures)} not answered 200")
        for failure in values.failures[:5]:
            print(f"    {failure}")


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def raise_stop(signal_number: int, _: FrameType | None) -> None:
    raise Stop(signal.Signals(signal_number).name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="sequential 1-row requests per round and server")
    parser.add_argument("--requests-100", type=int, default=300, help="sequential 100-row requests per round")
    parser.add_argument("--warmup", type=int, default=50, help="1-row requests before each server's round")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each throughput measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for throughput")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # Without this, SIGTERM would end the script without running the `finally` that stops the servers.
    signal.signal(signal.SIGTERM, raise_stop)
    signal.signal(signal.SIGHUP, raise_stop)

    with tempfile.TemporaryDirectory(prefix="serving-", ignore_cleanup_errors=True) as folder, ExitStack() as stack:
        base = Path(folder)
        root = base / "project"
        began = time.perf_counter()
        released_repository(root, base / "dvc-remote")
        print(f"built and released {NAME} in {time.perf_counter() - began:.1f} s", flush=True)
        bodies = request_bodies(root)
        columns = json.loads(bodies[1][0])[0].keys()
        (base / "bare_app.py").write_text(BARE_APP)

        env = project_env(root)
        factory = [str(BIN / "factory"), "serve", NAME, "--no-fetch", "--poll-seconds", "0"]
        bare_env = {
            **env,
            "BARE_MODEL": str(root / "use_cases" / NAME / "artifacts" / "model.skops"),
            "BARE_COLUMNS": json.dumps(list(columns)),
        }
        uvicorn = [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(base), "--host", "127.0.0.1"]
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "bare": ([*uvicorn, "--no-access-log", "--log-level", "warning"], bare_env),
            "factory": (factory, env),
            "factory+capture": ([*factory, "--capture", str(base / "capture")], env),
        }
        servers = {
            name: stack.enter_context(started(name, command, root, server_env, base / f"{name}.log"))
            for name, (command, server_env) in commands.items()
        }
        print("servers ready: " + ", ".join(f"{name} {server.url}" for name, server in servers.items()), flush=True)
        if problem := same_answers(servers, bodies[100][0]):
            raise SystemExit(problem)

        figures = {name: Figures() for name in SERVERS}
        for round_number in range(args.rounds):
            # Rotate who goes first, so no server always measures on a machine just warmed or loaded.
            # The throughput runs of a round follow each other, so the capture ratio compares
            # figures taken within a minute.
            order = SERVERS[round_number % 3 :] + SERVERS[: round_number % 3]
            print(f"round {round_number + 1}", flush=True)
            for name in order:
                measure_latency(servers[name], bodies, args, figures[name])
            for name in order:
                measure_throughput(servers[name], bodies, args, figures[name])
        kept, dropped = captured_rows(servers["factory+capture"])
        print(f"capture: {kept:.0f} rows captured, {dropped:.0f} dropped")
        report(figures, args)


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, Stop) as stopped:  # the servers and the folder are gone by now
        raise SystemExit(f"stopped ({str(stopped) or 'SIGINT'}); every server was stopped") from None
