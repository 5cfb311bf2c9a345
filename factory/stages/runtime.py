"""Where training and search run: in this process, or on a Dask cluster through joblib.

scikit-learn parallelises with joblib; inside `compute_backend` every joblib `Parallel`
(search fits, forest trees when the model's `n_jobs` allows) is sent to the Dask
scheduler. Results never depend on the engine, because every fit is seeded by its params.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

from factory.errors import ConfigError, FactoryError
from factory.spec import Runtime

ADDRESS_VARIABLE = "FACTORY_DASK_ADDRESS"
CONNECT_SECONDS = 10
CONNECT_TIMEOUT = f"{CONNECT_SECONDS}s"


class ClusterUnavailable(FactoryError):
    """The Dask scheduler named by the runtime could not be reached."""

    exit_code = 1


def scheduler_address(source: str) -> str:
    """The operator's scheduler address, from $FACTORY_DASK_ADDRESS; a config never names one.

    A Dask scheduler sends the build pickled objects to run, so where to run is decided by
    whoever runs the build, not by the pull request that added a use case.
    """
    address = os.environ.get(ADDRESS_VARIABLE, "")
    if not address:
        raise ClusterUnavailable(
            f"{source}: runtime.engine is dask, but no cluster is set: the operator sets {ADDRESS_VARIABLE} "
            "to a Dask scheduler address such as 'tcp://host:8786'"
        )
    return address


@contextlib.contextmanager
def compute_backend(runtime: Runtime, source: str) -> Iterator[None]:
    """Run the joblib work inside the block on the runtime's engine; `source` names the config."""
    if runtime.engine == "local":
        yield
        return
    address = scheduler_address(source)
    import joblib

    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigError.single(
            source, "runtime.engine", "'local', or install the Dask extra: pip install -e '.[dask]'", "'dask'"
        ) from exc
    _check_reachable(address)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except OSError as exc:
        raise ClusterUnavailable(f"{ADDRESS_VARIABLE}: cannot reach the Dask scheduler at {address}: {exc}") from exc
    with client, joblib.parallel_backend("dask", client=client):
        yield


def _check_reachable(address: str) -> None:
    """Refuse an address that does not parse, or a TCP scheduler nobody answers at, before a Client exists.

    A `distributed.Client` whose start failed prints a traceback when it is garbage-collected,
    so the common failures are found here, with a plain socket.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except ValueError as exc:
        raise ClusterUnavailable(
            f"{ADDRESS_VARIABLE}: expected a scheduler address such as 'tcp://host:8786'; got {address!r}"
        ) from exc
    if scheme not in ("tcp", "tls"):
        raise ClusterUnavailable(f"{ADDRESS_VARIABLE}: expected a tcp:// or tls:// scheduler address; got {address!r}")
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ClusterUnavailable(f"{ADDRESS_VARIABLE}: cannot reach the Dask scheduler at {address}: {exc}") from exc
