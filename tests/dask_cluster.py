"""A real Dask cluster on 127.0.0.1 for the tests: `dask scheduler` and `dask
worker` processes that die with the test run, and a client to watch them."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from distributed import Client

from indexer.processes import die_with_parent

HOST = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds; a cold, busy 2-core machine is slow to import Dask


def dask_command(role: str) -> list[str]:
    """`dask scheduler` / `dask worker`, from the Python running the tests."""
    script = shutil.which("dask", path=str(Path(sys.executable).parent))
    return [script, role] if script else [sys.executable, "-m", f"distributed.cli.dask_{role}"]


class DaskCluster:
    """A scheduler and its workers, each a process of ours, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.workers: list[subprocess.Popen] = []
        scheduler_file = folder / "scheduler.json"
        scheduler_file.unlink(missing_ok=True)
        self.scheduler = self._spawn(
            [*dask_command("scheduler"), "--host", HOST, "--port", "0", "--no-dashboard"]
            + ["--scheduler-file", str(scheduler_file)],
            "scheduler",
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not scheduler_file.exists() or not scheduler_file.read_text():
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dask scheduler did not start:\n{self.log('scheduler')}")
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        self.client = Client(self.address, timeout=START_TIMEOUT, set_as_default=False)

    def start_worker(self, prefix: Sequence[str] = ()) -> subprocess.Popen:
        """One more worker (one thread, no nanny: killing it kills the worker);
        `prefix` runs it under another command (unshare ...)."""
        command = [*prefix, *dask_command("worker"), self.address, "--host", HOST]
        command += ["--nthreads", "1", "--no-nanny", "--no-dashboard", "--death-timeout", "10"]
        command += ["--local-directory", str(self.folder / "work")]
        worker = self._spawn(command, f"worker-{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int) -> None:
        """Until exactly `count` workers are registered with the scheduler."""
        deadline = time.monotonic() + START_TIMEOUT
        while len(self.client.nthreads()) != count:
            if time.monotonic() > deadline:
                logs = "\n".join(self.log(f"worker-{n}") for n in range(len(self.workers)))
                raise RuntimeError(f"{count} Dask workers did not join:\n{logs}")
            time.sleep(0.1)

    def alive_workers(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def top_up(self, count: int) -> None:
        """Start workers until `count` live ones are registered."""
        for _ in range(count - len(self.alive_workers())):
            self.start_worker()
        self.wait_for_workers(count)

    def worker_running(self, prefix: str, timeout: float = 60.0) -> str:
        """The address of a worker that has a task whose key starts with `prefix`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for worker, keys in self.client.processing().items():
                if any(str(key).startswith(prefix) for key in keys):
                    return worker
            time.sleep(0.02)
        raise RuntimeError(f"no task {prefix}* ran within {timeout:g} s")

    def kill_worker(self, address: str) -> None:
        """SIGKILL the worker process listening at `address`."""
        pid = self.client.run(os.getpid, workers=[address])[address]
        os.kill(pid, signal.SIGKILL)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text("utf-8", errors="replace") if path.exists() else ""

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.kill()
            process.wait()

    def _spawn(self, command: list[str], name: str) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "wb") as log:
            return subprocess.Popen(
                command,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=partial(die_with_parent, signal.SIGKILL, os.getpid()),
            )


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int) -> Iterator[DaskCluster]:
    """A scheduler with `workers` workers until the block ends."""
    cluster = DaskCluster(folder)
    try:
        cluster.top_up(workers)
        yield cluster
    finally:
        cluster.stop()
