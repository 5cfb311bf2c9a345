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
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
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
    "pandera.backends.pandas.register",
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
# Variables a library or the interpreter reads once, at start or import: the server was
# started with its caller's, so callers that differ in them get servers of their own.
STARTUP_VARIABLES = re.compile(
    r"(PYTHON(?!PATH$).*|LANG|LC_.*|MPL.*|NPY_.*|SKLEARN_.*|KMP_.*|ARROW_.*|OMP_(?!NUM_THREADS$).*"
    r"|OPENBLAS_(?!NUM_THREADS$).*|MKL_(?!NUM_THREADS$).*)"
)
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_HEADER = struct.Struct("!Q")
_CREDENTIALS = struct.Struct("3i")  # pid, uid, gid of a Unix socket's peer (SO_PEERCRED)
MAX_SOCKET_PATH = 100


def enabled() -> bool:
    """True when stages may run in a warm child: switched on, on Linux (fork, fd passing, peer credentials)."""
    return os.environ.get(SWITCH, "1") != "0" and sys.platform == "linux" and hasattr(socket, "send_fds")


def socket_path() -> Path:
    """The socket of the server for this interpreter, environment and module, in a private folder.

    Under $XDG_RUNTIME_DIR when that gives a path short enough for a Unix socket (about 100
    bytes on Linux), else under the temporary folder.
    """
    startup = sorted((key, value) for key, value in os.environ.items() if STARTUP_VARIABLES.fullmatch(key))
    # sys.executable as called (a virtual environment's python is a link to the base one),
    # its prefix, the variables read at start, and this module: a changed protocol gets its own server.
    identity = json.dumps([sys.executable, sys.prefix, startup]).encode("utf-8") + Path(__file__).read_bytes()
    key = hashlib.sha256(identity).hexdigest()[:16]
    bases = [os.environ.get("XDG_RUNTIME_DIR"), tempfile.gettempdir(), "/tmp"]
    paths = [Path(base) / f"factory-warm-{os.getuid()}" / f"{key}.sock" for base in bases if base]
    return next((path for path in paths if len(os.fsencode(path)) <= MAX_SOCKET_PATH), paths[-1])


def _is_private(folder: Path) -> bool:
    """A real folder (not a link) that this user owns and nobody else may enter."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return (
        os.path.isdir(folder) and not os.path.islink(folder) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    )


def run_stage_warm(argv: list[str], entry: str) -> int | None:
    """Run `entry` ("module:function", the CLI's) with `argv` in a warm child; return its exit code.

    None tells the caller to run the stage itself: no server was ready (one is started in the
    background for the next stage), or the one found is not to be trusted or is stopping.
    """
    path = socket_path()
    if not _is_private(path.parent):
        _start_server(path)  # the server makes the folder, or refuses one it cannot trust
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
        _, peer_uid, _ = _CREDENTIALS.unpack(
            client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
        )
    except OSError:
        client.close()
        _start_server(path)
        return None
    if peer_uid != os.getuid():
        client.close()
        return None
    child: list[int] = []
    pending: list[int] = []

    def on_signal(number: int, _frame: object) -> None:
        if child:
            _forward(child[0], number)
        else:
            pending.append(number)  # forwarded once the stage has a pid

    for number in FORWARDED_SIGNALS:
        signal.signal(number, on_signal)
    with client:
        umask = os.umask(0)
        os.umask(umask)
        request = {
            "entry": entry,
            "argv": argv,
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "path": sys.path,
            "umask": umask,
        }
        payload = json.dumps(request).encode("utf-8")
        message = _HEADER.pack(len(payload)) + payload
        try:
            sent = socket.send_fds(client, [message], [0, 1, 2])
            client.sendall(message[sent:])
            replies = client.makefile("r", encoding="utf-8")
            first = json.loads(replies.readline() or "{}")
        except (OSError, ValueError):
            return None  # the server went away before it started anything
        if "pid" not in first:
            return None  # the server is stopping (packages changed)
        child.append(int(first["pid"]))
        for received in pending:
            _forward(child[0], received)
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
            # No interpreter flags: children inherit them, and a flag such as -I would reach the
            # worker processes a stage starts (joblib passes the flags on).
            [sys.executable, __file__, str(path)],
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
    """Preload the libraries, then fork a watcher per request until idle for IDLE_SECONDS.

    The server writes what went wrong (a library that failed to import, a request it could
    not serve) to the log beside its socket.
    """
    import fcntl

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _is_private(path.parent):
        return  # never listen where someone else could connect or replace the socket
    lock = open(path.with_suffix(".lock"), "a")  # noqa: SIM115 - held for the server's lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server is running or starting
    lock.truncate(0)
    lock.write(str(os.getpid()))  # which process holds the lock, for whoever needs to stop it
    lock.flush()
    log = os.open(path.with_suffix(".log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 2)
    fingerprint = _site_fingerprint()  # before the imports: an install during them counts
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    signal.signal(signal.SIGTERM, lambda _number, _frame: sys.exit(0))  # through `finally`: no stale socket
    try:
        # Listening first: a stage that arrives now waits for the imports instead of doing its own.
        for module in PRELOAD:
            try:
                importlib.import_module(module)
            except Exception as exc:  # a child imports it itself, and meets the error there
                print(f"preload {module}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
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
                lock.close()  # a long stage must not keep the next server from starting
                _watch(connection)
            connection.close()
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _watch(connection: socket.socket) -> None:
    """In a forked watcher: read the request, fork the stage, report its pid and exit code.

    If the client goes away first (killed, or its DVC was), the stage and everything it
    started are killed: nobody would read its outputs, and a rerun must not race it.
    """
    for number in (signal.SIGTERM, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    code = 1
    try:
        connection.settimeout(None)
        message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
        while len(message) < _HEADER.size or len(message) < _HEADER.size + _HEADER.unpack_from(message)[0]:
            chunk = connection.recv(1 << 16)
            if not chunk:
                raise OSError("request cut short")
            message += chunk
        request = json.loads(message[_HEADER.size :])
        pid = os.fork()
        if pid == 0:
            connection.close()
            os.setpgid(0, 0)  # its own group, so it can be stopped with what it started
            _run_child(request, fds)
        for fd in fds:
            os.close(fd)
        connection.sendall((json.dumps({"pid": pid}) + "\n").encode("utf-8"))
        status = _wait_unless_abandoned(pid, connection)
        connection.sendall((json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n").encode("utf-8"))
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _wait_unless_abandoned(pid: int, connection: socket.socket) -> int:
    """Wait for the stage `pid`; kill its process group if the client hangs up first."""
    poller = select.poll()
    poller.register(connection, select.POLLIN | select.POLLHUP)
    try:
        exited = os.pidfd_open(pid)
        poller.register(exited, select.POLLIN)
        timeout = None
    except (AttributeError, OSError):  # no pidfd: look at the stage now and then
        exited, timeout = -1, 50
    while True:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            return status
        events = dict(poller.poll(timeout))
        if connection.fileno() in events and not connection.recv(1, socket.MSG_PEEK):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        if exited in events:
            return os.waitpid(pid, 0)[1]


def _run_child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked stage process: become the client's process, then run the CLI."""
    import atexit

    code: int | str | None = 1
    try:
        atexit._clear()  # the server's exit handlers are not this stage's
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        streams = {
            "stdin": open(0, encoding="utf-8", closefd=False),  # noqa: SIM115
            "stdout": open(1, "w", encoding="utf-8", closefd=False, buffering=1),  # noqa: SIM115
            "stderr": open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1),  # noqa: SIM115
        }
        for name, stream in streams.items():
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)  # the server's own wrappers point at its log
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ[SWITCH] = "0"  # this process is the stage: it must not ask the server again
        time.tzset()  # TZ as the client has it
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
        _shut_down_as_an_interpreter_would()
        if isinstance(code, str):
            sys.stderr.write(code + "\n")
            code = 1
        for output in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                output.flush()
        os._exit(code or 0)


def _shut_down_as_an_interpreter_would() -> None:
    """Join non-daemon threads, run exit handlers, flush logging: what `sys.exit` would do."""
    import atexit
    import threading

    with contextlib.suppress(BaseException):
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
        atexit._run_exitfuncs()
        if "logging" in sys.modules:
            sys.modules["logging"].shutdown()


def _apply_thread_limits() -> None:
    """Size the native thread pools as a fresh process with this environment would."""
    limits = {
        "openmp": os.environ.get("OMP_NUM_THREADS"),
        "blas": os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS"),
    }
    wanted = {api: int(value) for api, value in limits.items() if value and value.isdigit()}
    if not wanted:
        return
    from threadpoolctl import threadpool_limits

    # Kept for the process's lifetime: the limits hold until the child exits.
    _LIMITS.extend(threadpool_limits(limits=count, user_api=api) for api, count in wanted.items())


_LIMITS: list[Any] = []


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
    # Run as a script, this folder leads sys.path, and its modules must not shadow others.
    here = os.path.realpath(os.path.dirname(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.realpath(entry or ".") != here]
    serve(Path(sys.argv[1]))
