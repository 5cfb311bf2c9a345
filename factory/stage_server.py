"""The stage server of one build: a process that has imported the heavy libraries forks each stage.

DVC starts every stage as a new process, and importing scikit-learn, pandas, pyarrow, skops,
pandera and matplotlib takes two to four seconds: most of a small stage's time. So `factory
build` starts this server for the length of the build, with the environment it gives its
stages, and each `factory stage` that DVC starts hands its request to it: a child forked
from the server runs the stage with the libraries already imported.

A child runs exactly as a fresh process of its caller would, or the caller runs the stage
itself ("cold"):
- the server serves only callers whose environment is the build's, but for the variables
  DVC and the shell set per stage (`PER_STAGE_VARIABLES`), whose resource limits are the
  server's and whose nice value is no lower; the child takes the caller's whole environment,
  limits, nice value, umask, working folder, `sys.path` and standard streams;
- the server imports third-party libraries only (it runs as a script, not as part of the
  `factory` package); the factory's and the components' code is imported in each child;
- it forks only while it is single-threaded (the build's stage environment keeps OpenBLAS
  and Arrow's allocator from starting threads); otherwise every stage runs cold;
- it lives as long as the build: it listens on an abstract Unix socket (no file anywhere),
  and the kernel kills it when the build dies (`PR_SET_PDEATHSIG`), as it kills each child
  when the server dies, and the server kills a child whose caller went away.
Linux only (abstract sockets, file-descriptor passing, peer credentials, pidfds); elsewhere
every stage runs cold. This module uses only the standard library: the client costs nothing
to import.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import resource
import secrets
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

ADDRESS_VARIABLE = "FACTORY_STAGE_SERVER"
# Set by DVC (DVC_ROOT, DVC_STAGE) or by the shell that runs a stage's command (PWD, SHLVL, _).
PER_STAGE_VARIABLES = frozenset({"DVC_ROOT", "DVC_STAGE", "PWD", "OLDPWD", "SHLVL", "_"})
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
OWN_PACKAGES = ("factory", "components")
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
READY_TIMEOUT = 60.0
_HEADER = struct.Struct("!Q")
_CREDENTIALS = struct.Struct("3i")  # pid, uid, gid of a Unix socket's peer (SO_PEERCRED)
_PR_SET_PDEATHSIG = 1
_RLIMITS = sorted(name for name in dir(resource) if name.startswith("RLIMIT_"))


def supported() -> bool:
    """Whether this system can run stages in a server (Linux: abstract sockets, fd passing, pidfds)."""
    return sys.platform == "linux" and hasattr(socket, "send_fds") and hasattr(os, "pidfd_open")


def die_with_parent(parent: int | None = None) -> None:
    """Have the kernel kill this process when its parent dies (Linux).

    With `parent`, the pid the parent must have: if it died before the request reached the
    kernel (this process was adopted), this process exits now.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def caller_state() -> dict[str, Any]:
    """What a stage process takes from its caller: environment, limits, nice value, umask, folder, path."""
    umask = os.umask(0)
    os.umask(umask)
    return {
        "env": dict(os.environ),
        "rlimits": {name: list(resource.getrlimit(getattr(resource, name))) for name in _RLIMITS},
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "umask": umask,
        "cwd": os.getcwd(),
        "path": list(sys.path),
    }


# ---------------------------------------------------------------- the build's side


class StageServer:
    """The server process of one build: start it with the stages' environment, stop it at the end.

    `environment` is what DVC will give the stages; once the server runs, its address is in it.
    """

    def __init__(self, environment: Mapping[str, str]) -> None:
        self.address = f"factory-stages-{os.getpid()}-{secrets.token_hex(16)}"
        self._environment = dict(environment)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def environment(self) -> dict[str, str]:
        """The stages' environment: with the server's address once it started."""
        if self._process is None:
            return dict(self._environment)
        return {**self._environment, ADDRESS_VARIABLE: self.address}

    def start(self) -> None:
        """Start the server and wait until it listens; it imports its libraries while the build goes on."""
        if not supported():
            return
        self._process = subprocess.Popen(
            # No interpreter flags: the children inherit them, and a stage passes them on to
            # the worker processes it starts (joblib does).
            [sys.executable, __file__, self.address, str(os.getpid())],
            env={**self._environment, ADDRESS_VARIABLE: self.address},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            cwd="/",
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while self._process.poll() is None and time.monotonic() < deadline:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect("\0" + self.address)
                except OSError:
                    time.sleep(0.01)
                    continue
                return  # listening: a stage that comes now waits for the imports in its queue

    def stop(self) -> None:
        """End the server and every stage it still runs; wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> StageServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------- the stage's side


def run_in_server(argv: list[str], entry: str) -> int | None:
    """Run `entry` ("module:function") with `argv` in the build's stage server; its exit code.

    None tells the caller to run the stage itself: no server is named, it is gone, or it
    found this process different from a fresh one of the build (said on stderr, with why).
    """
    address = os.environ.get(ADDRESS_VARIABLE)
    if not address or not supported():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(READY_TIMEOUT)
        client.connect("\0" + address)
        credentials = client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
        _, peer_uid, _ = _CREDENTIALS.unpack(credentials)
    except OSError as exc:
        client.close()
        sys.stderr.write(f"stage server: this stage runs in its own process: the server is unreachable ({exc})\n")
        return None
    if peer_uid != os.getuid():
        client.close()
        return None
    with client:
        payload = json.dumps({"entry": entry, "argv": argv, **caller_state()}).encode("utf-8")
        message = _HEADER.pack(len(payload)) + payload
        try:
            sent = socket.send_fds(client, [message], [0, 1, 2])
            if sent < len(message):  # (an empty send to a server that already answered and hung up fails)
                client.sendall(message[sent:])
            replies = client.makefile("r", encoding="utf-8")
            first = json.loads(replies.readline() or "{}")
        except (OSError, ValueError) as exc:
            sys.stderr.write(f"stage server: this stage runs in its own process: the server did not answer ({exc})\n")
            return None
        if "pid" not in first:
            sys.stderr.write(f"stage server: this stage runs in its own process: {first.get('cold', 'no answer')}\n")
            return None
        child = int(first["pid"])
        for number in FORWARDED_SIGNALS:
            signal.signal(number, lambda received, _frame: _forward(child, received))
        client.settimeout(None)
        line = replies.readline()
    if not line:
        sys.stderr.write("error: the stage server stopped before the stage finished\n")
        return 1
    code = int(json.loads(line)["exit"])
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell reports it


def _forward(child: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, number)


# ---------------------------------------------------------------- the server


def native_threads() -> int:
    """Threads of this process, native ones included (OpenBLAS workers, allocator threads)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0  # unknown: never fork


def serve(address: str, parent: int) -> None:
    """Preload the libraries, then serve stage requests until the build stops the server."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle, and the stages'
    signal.signal(signal.SIGTERM, lambda _number, _frame: sys.exit(0))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(64)  # listening first: an early stage waits for the imports instead of doing its own
    own = caller_state()  # as the build started it: what a caller's state is compared with
    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except Exception as exc:  # a child imports it itself, and meets the error there
            print(f"stage server: preload {module}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    # What the imports did to the environment (scikit-learn sets KMP_* variables, pandera Spark's):
    # a fresh process that imports them has it done too, so each child gets it done to its own.
    own["imports_set"] = {key: value for key, value in os.environ.items() if own["env"].get(key) != value}
    own["imports_unset"] = sorted(set(own["env"]) - set(os.environ))
    # What the imports made stays out of the collector's way, in the server and in every child:
    # no page is copied for the collector's bookkeeping, and a child's exit is a third as long.
    gc.freeze()
    fingerprint = _site_fingerprint()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, ("accept", 0))
    running: dict[int, tuple[socket.socket, int]] = {}  # child pid -> (caller's connection, pidfd)

    def close_inherited() -> None:
        """In a child: the server's sockets and descriptors are not the stage's."""
        selector.close()
        listener.close()
        for connection, pidfd in running.values():
            connection.close()
            os.close(pidfd)

    while True:
        for key, _ in selector.select():
            kind, pid = key.data
            if kind == "accept":
                connection, _ = listener.accept()
                started = _start_stage(connection, own, fingerprint, close_inherited)
                if started is None:
                    connection.close()
                    continue
                pidfd = os.pidfd_open(started)
                running[started] = (connection, pidfd)
                selector.register(pidfd, selectors.EVENT_READ, ("exited", started))
                selector.register(connection, selectors.EVENT_READ, ("caller", started))
            elif pid in running:
                connection, pidfd = running.pop(pid)
                if kind == "caller":  # the caller hung up (killed): nobody will read the outputs
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                status = os.waitpid(pid, 0)[1]
                with contextlib.suppress(OSError):
                    connection.sendall((json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n").encode())
                selector.unregister(pidfd)
                selector.unregister(connection)
                os.close(pidfd)
                connection.close()


def _start_stage(
    connection: socket.socket,
    own: dict[str, Any],
    fingerprint: list[tuple[str, int]],
    close_inherited: Callable[[], None],
) -> int | None:
    """Read a request; fork its stage and return the child's pid, or tell the caller to run cold."""
    try:
        connection.settimeout(READY_TIMEOUT)
        request, fds = _read_request(connection)
    except (OSError, ValueError):
        return None
    reason = _cold_reason(request, own, fingerprint)
    if reason is not None:
        for fd in fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            connection.sendall((json.dumps({"cold": reason}) + "\n").encode())
        return None
    server = os.getpid()
    env = {**request["env"], **own["imports_set"]}
    for key in own["imports_unset"]:
        env.pop(key, None)
    pid = os.fork()
    if pid == 0:
        close_inherited()
        connection.close()
        _become_stage({**request, "env": env}, fds, server)
    for fd in fds:
        os.close(fd)
    connection.settimeout(None)
    with contextlib.suppress(OSError):
        connection.sendall((json.dumps({"pid": pid}) + "\n").encode())
    return pid


def _read_request(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    message, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while len(message) < _HEADER.size or len(message) < _HEADER.size + _HEADER.unpack_from(message)[0]:
        chunk = connection.recv(1 << 16)
        if not chunk:
            for fd in fds:
                os.close(fd)
            raise ValueError("request cut short")
        message += chunk
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise ValueError("a request passes the three standard streams")
    return json.loads(message[_HEADER.size :]), list(fds)


def cold_reason(request: Mapping[str, Any], own: Mapping[str, Any]) -> str | None:
    """Why a caller with `request`'s state cannot be served by a server with state `own`; None if it can."""
    theirs = {k: v for k, v in request["env"].items() if k not in PER_STAGE_VARIABLES}
    mine = {k: v for k, v in own["env"].items() if k not in PER_STAGE_VARIABLES}
    if theirs != mine:
        differ = sorted(set(theirs.items()) ^ set(mine.items()))
        return f"its environment differs from the build's ({', '.join(sorted({k for k, _ in differ}))})"
    if request["rlimits"] != own["rlimits"]:
        return "its resource limits differ from the build's"
    if request["nice"] < own["nice"]:
        return "it runs at a higher priority than the build"
    return None


def _cold_reason(request: Mapping[str, Any], own: Mapping[str, Any], fingerprint: list[tuple[str, int]]) -> str | None:
    if native_threads() != 1:
        return f"the server runs {native_threads()} threads and forks only when it runs one"
    if _site_fingerprint() != fingerprint:
        return "packages were installed or removed since the server started"
    return cold_reason(request, own)


def _become_stage(request: dict[str, Any], fds: list[int], server: int) -> None:
    """In the forked child: take the caller's state, run the CLI, exit as its interpreter would."""
    code: Any = 1
    try:
        die_with_parent(server)
        os.setpgid(0, 0)  # a group of its own: killed with what it started if its caller goes away
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
            stream = open(fd, mode, encoding="utf-8", closefd=False, buffering=1 if mode == "w" else -1)  # noqa: SIM115
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()  # TZ as the caller has it
        for name, limits in request["rlimits"].items():
            resource.setrlimit(getattr(resource, name), tuple(limits))
        os.setpriority(os.PRIO_PROCESS, 0, request["nice"])
        sys.path[:] = request["path"]
        sys.argv = request["argv"]
        _reseed_global_generators()
        module, function = request["entry"].split(":")
        getattr(importlib.import_module(module), function)()
        code = 0
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    # Leaves through the interpreter's own exit: threads joined, exit handlers run, streams flushed.
    sys.exit(code)


def _reseed_global_generators() -> None:
    """Fresh entropy for the global generators, as a new process gets."""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def _site_fingerprint() -> list[tuple[str, int]]:
    """Modification times of the interpreter's package folders: installing anything changes one."""
    folders = [entry for entry in sys.path if entry.startswith(sys.prefix) and os.path.isdir(entry)]
    return [(folder, os.stat(folder).st_mtime_ns) for folder in sorted(folders)]


if __name__ == "__main__":
    # Run as a script, this folder leads sys.path, and its modules must not shadow others.
    here = os.path.realpath(os.path.dirname(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.realpath(entry or ".") != here]
    serve(sys.argv[1], int(sys.argv[2]))
