"""The serving worker (webapp.server.Worker) against a real `seedsearch serve`:
slow clients hold a thread, not a worker, and the errors gunicorn answers itself,
before the app sees the request, carry the site's security headers."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import HOST, LiveServer, live_server
from tests.test_http_edges import raw
from webapp.headers import HEADERS

WORKERS = 2


@pytest.fixture(scope="module")
def server(seed_index: Path) -> Iterator[LiveServer]:
    with live_server(seed_index, workers=WORKERS) as s:
        yield s


def head_of(answer: bytes) -> tuple[int, dict[str, str]]:
    """Status and headers of a raw HTTP answer."""
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    return status, dict(line.split(": ", 1) for line in head[1:])


@contextlib.contextmanager
def half_sent_requests(server: LiveServer, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that each send the start of a request, and no more."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection((HOST, server.port), timeout=30)
            sock.sendall(b"GET /api/search?q=light HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def test_the_server_runs_the_threaded_worker(server):
    assert "Using worker: webapp.server.Worker" in server.log()


def test_more_slow_clients_than_workers_leave_the_server_answering(server):
    # Three times as many stalled requests as workers: each holds one thread only.
    with half_sent_requests(server, 3 * WORKERS), contextlib.ExitStack() as stack:
        for _ in range(WORKERS):  # and connections that send nothing at all
            stack.enter_context(socket.create_connection((HOST, server.port), timeout=30))
        for _ in range(2 * WORKERS):
            status, body = server.get("/api/search?q=russia", timeout=5)
            assert status == 200 and b'"total"' in body


def test_a_slow_client_that_finishes_its_request_is_answered(server):
    with half_sent_requests(server, 1) as (sock,):
        assert server.get("/healthz", timeout=5)[0] == 200
        sock.sendall(b"Accept: application/json\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
    assert head_of(answer)[0] == 200


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
        (b"GET /?q=" + b"w" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + b"c" * 9000 + b"\r\n\r\n", 431),
    ],
    ids=["malformed-request-line", "malformed-header", "over-long-url", "over-long-header"],
)
def test_gunicorns_own_errors_carry_the_security_headers(server, data, status):
    answer = raw(server, data)
    got, headers = head_of(answer)
    assert got == status, answer[:300]
    for name, value in HEADERS.items():
        assert headers.get(name) == value, (name, answer[:600])
    assert server.get("/healthz")[0] == 200
