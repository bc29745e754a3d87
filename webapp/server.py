"""Run the app under gunicorn (sync workers) or Flask's development server."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from typing import Any

from gunicorn.app.base import BaseApplication

from . import create_app


class PortUnavailable(Exception):
    """The address to serve on cannot be bound."""


class GunicornServer(BaseApplication):
    """gunicorn, configured in code; each worker builds its own app after the fork."""

    def __init__(self, config: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.app_config = dict(config)
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Called in each worker (no preload): the index is opened after the fork.
        return create_app(self.app_config)


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


def serve_gunicorn(config: Mapping[str, Any], host: str, port: int, workers: int) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM)."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
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
