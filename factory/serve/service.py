"""Put the service together: choose the use cases, load their models, then run uvicorn."""

from __future__ import annotations

import logging
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from factory.compose import use_case_names
from factory.errors import FactoryError
from factory.paths import ProjectPaths
from factory.release import registry_state
from factory.serve.app import ServeLimits, create_app
from factory.serve.capture import CaptureSettings, CaptureWriter
from factory.serve.pool import ModelPool, Poller
from factory.serve.telemetry import Telemetry

if TYPE_CHECKING:
    from fastapi import FastAPI

# The admin routes exist only when the operator sets this; a use case config cannot.
TOKEN_VARIABLE = "FACTORY_SERVE_TOKEN"


@dataclass(frozen=True)
class ServeOptions:
    """How `factory serve` runs."""

    stage: str = "production"
    host: str = "127.0.0.1"
    port: int = 8000
    poll_seconds: float = 30.0
    fetch_tags: bool = True
    limits: ServeLimits = field(default_factory=ServeLimits)
    capture: CaptureSettings | None = None


def served_names(root: Path, names: list[str] | None, stage: str) -> list[str]:
    """The use cases asked for, or every one with a version in `stage`; none is an error."""
    if names:
        return sorted(set(names))
    holding = [name for name in use_case_names(ProjectPaths(root)) if registry_state.holders(root, name).get(stage)]
    if not holding:
        raise FactoryError(f"no use case has a version in {stage}; release one with `factory release NAME` first")
    return holding


def prepare(root: Path, names: list[str] | None, options: ServeOptions) -> FastAPI:
    """The app with its models loaded; an unloadable model at startup is an error (exit 2) before any port opens."""
    telemetry = Telemetry()
    pool = ModelPool(
        root,
        served_names(root, names, options.stage),
        options.stage,
        options.fetch_tags,
        on_swap=telemetry.record_swap,
        on_refusal=lambda name: telemetry.reload_failures.labels(name).inc(),
    )
    pool.refresh()
    if problems := pool.problems():
        named = [text if text.startswith(f"{name}:") else f"{name}: {text}" for name, text in problems.items()]
        raise FactoryError("cannot serve: " + "; ".join(named))
    capture = CaptureWriter(options.capture) if options.capture is not None else None
    app = create_app(
        pool,
        options.limits,
        telemetry,
        capture=capture,
        poller=Poller(pool, options.poll_seconds),
        admin_token=os.environ.get(TOKEN_VARIABLE) or None,
    )
    return app


def check_listenable(host: str, port: int) -> None:
    """Refuse an address the service could not listen on, with one message, before anything loads."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise FactoryError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --host or --port"
        ) from None


def serve(root: Path, names: list[str] | None, options: ServeOptions) -> None:
    """Load the models and answer requests until interrupted."""
    import uvicorn

    check_listenable(options.host, options.port)  # before the models load: a busy port is a usage error
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s", stream=sys.stderr)
    app = prepare(root, names, options)
    uvicorn.run(app, host=options.host, port=options.port, log_level="info", access_log=False)
