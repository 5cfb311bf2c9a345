"""Warm stage processes: a server that has imported the heavy libraries forks one child per stage.

DVC starts every stage as a new process, and importing scikit-learn, pandas, pyarrow, skops,
pandera and matplotlib takes two to four seconds: most of a small stage's time, and the
floor under every build. The first `factory stage` starts a server for this interpreter
(and runs itself as usual); later ones hand their arguments, working folder, environment,
`sys.path` and standard streams to it over a Unix socket, and a forked child runs the stage
with the libraries already imported.

What a child runs is exactly what a fresh process would:
- the server imports third-party libraries only; the factory's and the components' code is
  imported in each child from the client's `sys.path`, so an edited component always runs;
- the server's environment carries no thread limits, and a child applies its own with
  threadpoolctl; installing or removing a package stops the server (its site-packages
  folders are fingerprinted at start);
- the global random generators are reseeded from the OS in each child; the one thing a child
  shares with its siblings is the server's string hash seed, so `factory ci verify`, whose
  job is to catch what varies from run to run, rebuilds in fresh processes;
- the exit code and the signals the client receives are passed through.
Set FACTORY_WARM=0 to run every stage in its own process. This module uses only the standard
library, so the client costs nothing to import.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SWITCH = "FACTORY_WARM"
IDLE_SECONDS = 300  # a server nobody called for this long exits
PRELOAD = (
    "numpy",
    "scipy.stats",
    "pandas",
    "pyarrow.parquet",
    "sklearn",
    "sklearn.compose",
    "sklearn.ensemble",
    "sklearn.impute",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "skops.io",
    "pandera.pandas",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "threadpoolctl",
    "pydantic",
    "yaml",
    "typer",
    "rich.console",
)
# Left out of the server's environment: thread limits are applied per child, and a server
# started under coverage would trace every child without saving what it saw.
SERVER_ENV_DROPPED = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONPATH")
SERVER_ENV_DROPPED_PREFIXES = ("COV_CORE_", "COVERAGE_")
OWN_PACKAGES = ("factory", "components")
_HEADER = struct.Struct("!Q")
MAX_SOCKET_PATH = 100


def enabled() -> bool:
    """True when stages may run in a warm child: switched on, on a system with fork and fd passing."""
    return os.environ.get(SWITCH, "1") != "0" and hasattr(os, "fork") and hasattr(socket, "send_fds")


def socket_path() -> Path:
    """The server's socket for this interpreter, in a folder only this user can enter.

    Under $XDG_RUNTIME_DIR when that gives a path short enough for a Unix socket (about 100
    bytes on Linux and macOS), else under the temporary folder.
    """
    key = hashlib.sha256(os.path.realpath(sys.executable).encode("utf-8")).hexdigest()[:16]
    bases = [os.environ.get("XDG_RUNTIME_DIR"), tempfile.gettempdir(), "/tmp"]
    paths = [Path(base) / f"factory-warm-{os.getuid()}" / f"{key}.sock" for base in bases if base]
    return next((path for path in paths if len(os.fsencode(path)) <= MAX_SOCKET_PATH), paths[-1])


def run_stage_warm(argv: list[str], entry: str) -> int | None:
    """Run `entry` ("module:function", the CLI's) with `argv` in a warm child and return its exit code.

    None when no server is ready.

    With no server listening, one is started in the background for the next stage and None
    tells the caller to run this stage itself.
    """
    path = socket_path()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
    except OSError:
        client.close()
        _start_server(path)
        return None
    with client:
        request = {"entry": entry, "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "path": sys.path}
        payload = json.dumps(request).encode("utf-8")
        try:
            socket.send_fds(client, [_HEADER.pack(len(payload)) + payload], [0, 1, 2])
            replies = client.makefile("r", encoding="utf-8")
            first = json.loads(replies.readline() or "{}")
        except (OSError, ValueError):
            return None  # the server went away before it started anything
        if "pid" not in first:
            return None  # stale server (packages changed): it is exiting
        child = int(first["pid"])
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, lambda received, _frame: _forward(child, received))
        line = replies.readline()
    if not line:
        sys.stderr.write("error: the warm stage server stopped before the stage finished\n")
        return 1
    code = int(json.loads(line)["exit"])
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell reports it


def _forward(child: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, number)


def _start_server(path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SERVER_ENV_DROPPED and not key.startswith(SERVER_ENV_DROPPED_PREFIXES)
    }
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-I", __file__, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the stage, and DVC does not wait for it
            env=env,
            cwd="/",
        )


def _site_fingerprint() -> list[tuple[str, int]]:
    """Modification times of the interpreter's package folders: installing anything changes one."""
    folders = [entry for entry in sys.path if entry.startswith(sys.prefix) and os.path.isdir(entry)]
    return [(folder, os.stat(folder).st_mtime_ns) for folder in sorted(folders)]


def serve(path: Path) -> None:
    """Preload the libraries, then fork a child per request until idle for IDLE_SECONDS."""
    import fcntl

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.parent.stat().st_uid != os.getuid() or path.parent.stat().st_mode & 0o077:
        return  # someone else's folder: never listen where others could connect
    lock = open(path.with_suffix(".lock"), "a")  # noqa: SIM115 - held for the server's lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server is running or starting
    lock.truncate(0)
    lock.write(str(os.getpid()))  # which process holds the lock, for whoever needs to stop it
    lock.flush()
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    signal.signal(signal.SIGTERM, lambda _number, _frame: sys.exit(0))  # through `finally`: no stale socket
    try:
        # Listening first: a stage that arrives now waits for the imports instead of doing its own.
        for module in PRELOAD:
            with contextlib.suppress(ImportError):
                importlib.import_module(module)
        fingerprint = _site_fingerprint()
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # watchers are reaped by the kernel
        server.settimeout(IDLE_SECONDS)
        while True:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                return
            if _site_fingerprint() != fingerprint:
                connection.close()  # the client runs the stage itself
                return
            if os.fork() == 0:
                server.close()
                _watch(connection)
            connection.close()
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _watch(connection: socket.socket) -> None:
    """In a forked watcher: read the request, fork the stage, report its pid and exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    code = 1
    try:
        connection.settimeout(None)
        message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
        size = _HEADER.unpack_from(message)[0]
        while len(message) < _HEADER.size + size:
            chunk = connection.recv(1 << 16)
            if not chunk:
                raise OSError("request cut short")
            message += chunk
        request = json.loads(message[_HEADER.size :])
        pid = os.fork()
        if pid == 0:
            connection.close()
            _run_child(request, fds)
        for fd in fds:
            os.close(fd)
        connection.sendall((json.dumps({"pid": pid}) + "\n").encode("utf-8"))
        _, status = os.waitpid(pid, 0)
        connection.sendall((json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n").encode("utf-8"))
        code = 0
    except BaseException:  # the client runs the stage itself; the server's log says why
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _run_child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked stage process: become the client's process, then run the CLI."""
    code: int | str | None = 1
    try:
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)  # noqa: SIM115
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ[SWITCH] = "0"  # this process is the stage: it must not ask the server again
        sys.path[:] = request["path"]
        sys.argv = request["argv"]
        for name in [name for name in sys.modules if name.split(".")[0] in OWN_PACKAGES]:
            del sys.modules[name]
        _apply_thread_limits()
        _reseed_global_generators()
        module, function = request["entry"].split(":")
        getattr(importlib.import_module(module), function)()
        code = 0
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # what an interpreter prints for an uncaught exception
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        if isinstance(code, str):
            sys.stderr.write(code + "\n")
            code = 1
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code or 0)


def _apply_thread_limits() -> None:
    """Size the native thread pools as a fresh process with this environment would."""
    value = os.environ.get("OMP_NUM_THREADS")
    if not value or not value.isdigit():
        return
    from threadpoolctl import threadpool_limits

    # Kept for the process's lifetime: the limits hold until the child exits.
    global _LIMITS
    _LIMITS = threadpool_limits(limits=int(value))


_LIMITS: Any = None


def _reseed_global_generators() -> None:
    """Fresh entropy for the global generators, as a new process gets.

    Forked children would otherwise share the server's state, and code that forgot its seed
    would look reproducible here while a clean rebuild (`factory ci verify`) differs.
    """
    import random

    random.seed()
    if "numpy" in sys.modules:
        import numpy

        numpy.random.seed()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
