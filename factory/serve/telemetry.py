"""Prometheus metrics of the service, in a registry of its own (never the library's global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from factory.serve.loading import ServedModel

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Telemetry:
    """Requests, errors, latency, rows and captured rows, per use case and version."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._shown: dict[str, tuple[str, str]] = {}  # use case -> (version, sha256) in factory_model_info
        labels = ["use_case", "version"]
        self.requests = Counter(
            "factory_requests", "Prediction requests answered", [*labels, "status"], registry=self.registry
        )
        self.latency = Histogram(
            "factory_request_seconds",
            "Time to answer a prediction request",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter("factory_rows", "Rows scored", labels, registry=self.registry)
        self.captured = Counter("factory_captured_rows", "Rows written for monitoring", labels, registry=self.registry)
        self.dropped = Counter(
            "factory_capture_dropped_rows",
            "Rows not captured because the writer fell behind",
            labels,
            registry=self.registry,
        )
        self.reload_failures = Counter(
            "factory_reload_failures",
            "Versions that failed their checks at reload",
            ["use_case"],
            registry=self.registry,
        )
        self.served = Gauge(
            "factory_model_info",
            "The version served per use case (1) with its model's sha256",
            ["use_case", "version", "model_sha256"],
            registry=self.registry,
        )

    def record_swap(self, model: ServedModel) -> None:
        """Show the newly served version (and no other) for its use case."""
        previous = self._shown.get(model.name)
        if previous is not None:
            self.served.remove(model.name, *previous)
        self._shown[model.name] = (model.version, model.model_sha256)
        self.served.labels(model.name, model.version, model.model_sha256).set(1)

    def exposition(self) -> bytes:
        """The metrics in Prometheus text format."""
        return generate_latest(self.registry)
