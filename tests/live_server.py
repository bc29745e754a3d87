"""Start a real `seedsearch serve` in a subprocess on a free 127.0.0.1 port and
wait until it answers; stop it on exit. Shared by the browser, serving and
reliability tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from indexer.processes import die_with_parent

HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds; a cold 2-core CI box may be slow to import
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class LiveServer:
    """A running server: its base URL, process and log file."""

    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        """GET `path`; (status, body) for any HTTP status."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def free_port() -> int:
    """A port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def seedsearch_command() -> list[str]:
    """The installed `seedsearch` script beside this Python, else `python -m webapp`."""
    script = shutil.which("seedsearch", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "webapp"]


@contextlib.contextmanager
def live_server(
    index: Path | None,
    *,
    source: Path | None = None,
    workers: int | None = 2,
    dev: bool = False,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[LiveServer]:
    """Serve `index` (building it from `source` if missing) until the block ends.

    index=None leaves the index to SEEDSEARCH_INDEX in `env`; workers=None to the default.
    """
    args = ["serve", "--host", HOST]
    if index is not None:
        args += ["--index", str(index)]
    if workers is not None:
        args += ["--workers", str(workers)]
    if source is not None:
        args += ["--source", str(source)]
    if dev:
        args.append("--dev")
    args += list(extra_args)
    with tempfile.TemporaryDirectory(prefix="seedsearch-serve-") as tmp:
        log_path = Path(tmp) / "server.log"
        server = _start(args, log_path, env, timeout)
        try:
            yield server
        finally:
            stop(server.process)


def _start(args: list[str], log_path: Path, env: dict[str, str] | None, timeout: float):
    # Another process may take the free port before the server binds it: retry.
    for _attempt in range(3):
        port = free_port()
        command = seedsearch_command() + args + ["--port", str(port)]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,  # its own process group, stopped as one
                preexec_fn=partial(die_with_parent, signal.SIGTERM, os.getpid()),
            )
        server = LiveServer(f"http://{HOST}:{port}", port, process, log_path)
        if _wait_until_up(server, timeout):
            return server
        stop(process)
        if "in use" not in server.log():
            break
    raise RuntimeError(f"seedsearch serve did not start:\n{server.log()}")


def _wait_until_up(server: LiveServer, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            server.get("/healthz", timeout=2.0)
            return True  # any HTTP answer, 503 included: the server is up
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (gunicorn stops its workers), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
