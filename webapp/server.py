"""Run the app under gunicorn (threaded workers) or Flask's development server."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from . import create_app
from .engine import KEY as ENGINE_KEY
from .headers import HEADERS

# Each worker serves this many connections at once: a client that sends half a
# request holds one thread, not the whole worker. Searches are CPU-bound and take
# the engine's lock, so more threads add no throughput, only room for slow clients.
DEFAULT_THREADS = 16


class PortUnavailable(Exception):
    """The address to serve on cannot be bound."""


class Worker(ThreadWorker):
    """gunicorn's threaded worker whose own error answers (400, 414, 431 ... written
    before the app sees the request) carry the app's security headers too."""

    def handle_error(self, req, client, addr, exc) -> None:
        # gunicorn writes its error response straight to the socket; let it write
        # into a buffer instead, then send that response with our headers added.
        buffer = _ResponseBuffer()
        super().handle_error(req, buffer, addr, exc)
        if not buffer.data:
            return
        try:
            util.write_nonblock(client, with_security_headers(bytes(buffer.data)))
        except OSError:
            self.log.debug("Failed to send error message.")


class _ResponseBuffer:
    """The part of a socket gunicorn's `util.write_error` uses, writing to memory."""

    def __init__(self) -> None:
        self.data = bytearray()

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    def send(self, data: bytes) -> int:
        self.data += data
        return len(data)


def with_security_headers(response: bytes) -> bytes:
    """A raw HTTP/1.x response with HEADERS added after its status line."""
    status_line, sep, rest = response.partition(b"\r\n")
    if not sep:
        return response
    extra = "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
    return status_line + sep + extra.encode("latin-1") + rest


class GunicornServer(BaseApplication):
    """gunicorn, configured in code; each worker builds its own app after the fork."""

    def __init__(self, config: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.app_config = dict(config)
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # gunicorn 25.1+ opens a control socket at one path per user
        # (~/.gunicorn/gunicorn.ctl), which a second server takes over.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self):
        # Called in each worker (no preload): the index is opened after the fork,
        # before the worker takes its first request.
        app = create_app(self.app_config)
        app.extensions[ENGINE_KEY].prepare()
        return app


def check_port(host: str, port: int) -> None:
    """Fail at once, with a clear message, when host:port cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"({exc.strerror})"
            raise PortUnavailable(f"Cannot serve on {host}:{port}: the address {reason}.") from None


def serve_gunicorn(
    config: Mapping[str, Any], host: str, port: int, workers: int, threads: int
) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM)."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": f"{Worker.__module__}.{Worker.__qualname__}",
        "threads": threads,
        "preload_app": False,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "graceful_timeout": 10,
        "proc_name": "seedsearch",
    }
    GunicornServer(config, options).run()


def serve_dev(config: Mapping[str, Any], host: str, port: int) -> None:
    """Flask's development server: one process, threads, tracebacks in the log."""
    create_app(config).run(host=host, port=port, threaded=True, use_reloader=False)
