"""The ASGI application: one predict route per served use case, health, models, metrics, reload.

Every route answers JSON with a `message` on error (never a traceback). A predict request takes
the model it uses once, at its start, and names that version in its answer.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from factory.artifacts.predictions import model_outputs
from factory.datacheck import validate_frame
from factory.errors import DataValidationError
from factory.serve.capture import CaptureWriter
from factory.serve.loading import ServedModel
from factory.serve.pool import ModelPool, Poller
from factory.serve.requests import RequestProblem
from factory.serve.telemetry import Telemetry

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class ServeLimits:
    """What one request may hold."""

    max_body_bytes: int = 1024 * 1024
    max_rows: int = 1_000


class PredictAnswer(BaseModel):
    """What a predict request gets back (documents the route; answers are not re-validated)."""

    use_case: str
    version: str
    model_sha256: str
    predictions: list[Any]
    classes: list[Any] | None = None
    probabilities: list[list[float]] | None = None


class Problem(BaseModel):
    """An error answer: one message naming what was expected."""

    message: str
    detail: list[dict[str, Any]] = []


def create_app(
    pool: ModelPool,
    limits: ServeLimits,
    telemetry: Telemetry,
    capture: CaptureWriter | None = None,
    poller: Poller | None = None,
    admin_token: str | None = None,
) -> FastAPI:
    """The service for the models in `pool`; the poller and capture writer run while it does."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if capture is not None:
            capture.start()
        if poller is not None:
            poller.start()
        try:
            yield
        finally:
            if poller is not None:
                await run_in_threadpool(poller.stop)
            if capture is not None:
                await run_in_threadpool(capture.stop)

    app = FastAPI(
        title="Model factory: served models",
        description="The released models of this project's use cases, at a stage, behind one service.",
        lifespan=lifespan,
    )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": Problem}})
    def readyz() -> JSONResponse:
        """Ready when every use case has a model loaded; a version that failed its checks is named."""
        served, problems = pool.served(), pool.problems()
        missing = [name for name in pool.names if name not in served]
        body = {"ready": not missing, "models": _models(pool), "problems": problems}
        if missing:
            body["message"] = "no model loaded for " + ", ".join(missing)
        return JSONResponse(body, status_code=503 if missing else 200)

    @app.get("/v1/models")
    def models() -> list[dict[str, Any]]:
        """What is served: use case, version, model sha256, since when, and any problem."""
        return _models(pool)

    @app.get("/metrics", response_class=Response)
    def metrics() -> Response:
        """Requests, errors, latency, rows and captured rows in Prometheus text format."""
        return Response(telemetry.exposition(), media_type=PROMETHEUS_TEXT)

    for name in pool.names:
        app.add_api_route(
            f"/v1/{name}/predict",
            _predict_route(name, pool, limits, telemetry, capture),
            methods=["POST"],
            name=f"predict {name}",
            summary=f"Score rows with the {pool.stage} version of {name}",
            responses={200: {"model": PredictAnswer}, 413: {"model": Problem}, 422: {"model": Problem}},
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}},
        )

    if admin_token:

        @app.post("/admin/reload", responses={401: {"model": Problem}})
        async def reload(request: Request) -> JSONResponse:
            """Look for moved stages now (needs `Authorization: Bearer <FACTORY_SERVE_TOKEN>`)."""
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {admin_token}".encode()):
                return JSONResponse({"message": "expected Authorization: Bearer <token>"}, status_code=401)
            swaps = await run_in_threadpool(pool.refresh, True)
            return JSONResponse(
                {"swaps": [swap.__dict__ for swap in swaps], "models": _models(pool), "problems": pool.problems()}
            )

    @app.exception_handler(404)
    async def not_found(request: Request, _: Exception) -> JSONResponse:
        routes = ", ".join(f"/v1/{name}/predict" for name in pool.names)
        return JSONResponse({"message": f"no route {request.url.path}; predict routes: {routes}"}, status_code=404)

    app.openapi = _openapi_with_contracts(app, pool)  # type: ignore[method-assign]
    return app


def _predict_route(
    name: str,
    pool: ModelPool,
    limits: ServeLimits,
    telemetry: Telemetry,
    capture: CaptureWriter | None,
) -> Callable[[Request], Any]:
    async def predict(request: Request) -> JSONResponse:
        started = time.perf_counter()
        served = pool.current(name)  # this request's model, whatever a swap does meanwhile
        if served is None:
            problem = pool.problems().get(name, "not loaded")
            return JSONResponse({"message": f"{name}: no model is served ({problem})"}, status_code=503)
        try:
            body = await _json_body(request, limits.max_body_bytes)
            # Scored on the event loop, as a bare app does: scoring holds Python's lock anyway, and
            # handing it to worker threads cost a third of the throughput (benchmarks/serving.py).
            answer, rows = _answer(served, body, limits, telemetry, capture)
        except RequestProblem as problem:
            telemetry.requests.labels(name, served.version, str(problem.status)).inc()
            return JSONResponse({"message": problem.message, "detail": problem.detail}, status_code=problem.status)
        telemetry.requests.labels(name, served.version, "200").inc()
        telemetry.rows.labels(name, served.version).inc(rows)
        telemetry.latency.labels(name, served.version).observe(time.perf_counter() - started)
        return JSONResponse(answer)

    predict.__doc__ = f"Score one record or a list of records with the served version of {name}."
    return predict


def _answer(
    served: ServedModel, body: Any, limits: ServeLimits, telemetry: Telemetry, capture: CaptureWriter | None
) -> tuple[dict[str, Any], int]:
    """Validate, predict and (maybe) capture: the same checks and the same numbers as `factory score`."""
    table = served.contract.frame(body, limits.max_rows)
    if not served.contract.within_ranges(table):
        try:  # the input schema `factory score` checks, for its message
            validate_frame(table, served.schema, "request", coerce=True)
        except DataValidationError as exc:
            raise RequestProblem(422, str(exc)) from None
    # The call `factory score` makes (through predict_frame), answered from its arrays.
    predicted, probabilities = model_outputs(served.model, table, served.classifier)
    answer: dict[str, Any] = {
        "use_case": served.name,
        "version": served.version,
        "model_sha256": served.model_sha256,
        "predictions": predicted.tolist(),
    }
    if probabilities is not None:
        answer["classes"] = served.model.classes_.tolist()
        answer["probabilities"] = probabilities.tolist()
    if capture is not None:
        # The columns `factory score` writes: the prediction, and proba_<class> for classifiers.
        scores = {"prediction": predicted}
        if probabilities is not None:
            scores |= {f"proba_{label}": probabilities[:, i] for i, label in enumerate(served.model.classes_)}
        kept, dropped = capture.submit(served.name, served.version, table, scores)
        telemetry.captured.labels(served.name, served.version).inc(kept)
        telemetry.dropped.labels(served.name, served.version).inc(dropped)
    return answer, len(table)


async def _json_body(request: Request, limit: int) -> Any:
    """The request's JSON, read no further than `limit` bytes (413 beyond, 400 when not JSON)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestProblem(413, f"expected a body of at most {limit} bytes; got {declared}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestProblem(413, f"expected a body of at most {limit} bytes; got more")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        raise RequestProblem(
            400, "expected a JSON list of records or one record; got a body that is not JSON"
        ) from None


def _models(pool: ModelPool) -> list[dict[str, Any]]:
    problems = pool.problems()
    served = pool.served()
    rows = []
    for name in pool.names:
        model = served.get(name)
        rows.append(
            {
                "use_case": name,
                "stage": pool.stage,
                "version": model.version if model else None,
                "model_sha256": model.model_sha256 if model else None,
                "since": model.loaded_at if model else None,
                "problem": problems.get(name),
            }
        )
    return rows


def _openapi_with_contracts(app: FastAPI, pool: ModelPool) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document with each predict route's request schema from the version served now."""

    def openapi() -> dict[str, Any]:
        document = get_openapi(title=app.title, version="1", description=app.description, routes=app.routes)
        for name, served in pool.served().items():
            operation = document["paths"].get(f"/v1/{name}/predict", {}).get("post")
            if operation is not None:
                operation["requestBody"]["content"]["application/json"]["schema"] = served.contract.json_schema()
                operation["description"] = f"Served now: {name} {served.version} (model sha256 {served.model_sha256})."
        return document

    return openapi
