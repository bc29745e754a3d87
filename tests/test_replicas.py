"""Several web servers: two `seedsearch serve` over one index folder, and one over
a copy kept current by `seedsearch publish --to`, answer from whole generations
while the index is rebuilt, and each answers from the new one as soon as it is
published (or copied)."""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

from indexer.build.run import build_index
from tests.live_server import LiveServer, live_server
from tests.test_auth import add_token, add_user
from tests.test_rebuild_while_serving import PATHS, Corpus, Load, check, log_corpus
from webapp.cli import cli

REQUESTS = 5_000  # per client thread at most, whatever happens


def fetch(url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def client(server: LiveServer, load: Load, stop: threading.Event, seed: int, token) -> None:
    """Requests until `stop`, each checked: whole, from one generation, never older."""
    rng = random.Random(seed)
    generation = 0
    for _ in range(REQUESTS):
        if stop.is_set():
            return
        path = rng.choice(PATHS).format(marker=rng.choice(load.corpora).marker)
        try:
            status, body = fetch(server.url + path, token)
            generation = check(path, status, body, load, generation)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and reported
            load.fail(f"{server.url}{path}: {exc.__class__.__name__}: {exc}")
        with load.lock:
            load.served += 1


@contextmanager
def under_load(servers: list[LiveServer], load: Load, token: str | None = None) -> Iterator[None]:
    """Two client threads per server until the block ends."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=client, args=(server, load, stop, n, token), daemon=True)
        for n, server in enumerate(servers * 2)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not any(t.is_alive() for t in threads), "a client hung"


def serves(server: LiveServer, corpus: Corpus, generation: int, token: str | None = None):
    """Assert that the server's next answer comes from `generation`, of `corpus`."""
    status, body = fetch(server.url + "/healthz", token)
    health = json.loads(body)
    assert status == 200 and health["generation"] == generation, health
    assert health["passages"] == corpus.passages


def corpora(tmp_path: Path) -> list[Corpus]:
    return [log_corpus(tmp_path / f"c{n}", f"marker{n}", 40 + 2 * n) for n in range(3)]


def test_two_servers_over_one_index_answer_alike_through_rebuilds(tmp_path: Path):
    sources = corpora(tmp_path)
    index = tmp_path / "index"
    build_index(sources[0].path, index, full=True)
    load = Load(tuple(sources))
    with (
        live_server(index, workers=1) as one,
        live_server(index, workers=1) as two,
        under_load([one, two], load),
    ):
        load.await_requests(16)  # four clients: twelve at least begun on generation 1
        for corpus in [*sources[1:], sources[0]]:
            report = build_index(corpus.path, index)  # an update from another folder
            for server in (one, two):
                serves(server, corpus, report.generation)
            load.await_requests(16)  # ... and on each later one
    assert not load.failures, load.failures[:5]
    assert load.generations == {1, 2, 3, 4} and load.served > 40


def test_a_copy_kept_by_publish_serves_whole_generations(tmp_path: Path):
    sources = corpora(tmp_path)
    index, copy = tmp_path / "index", tmp_path / "copy"
    build_index(sources[0].path, index, full=True)
    add_user(index, "alice")
    token = add_token(index, "alice")
    runner = CliRunner()

    def publish() -> str:
        result = runner.invoke(cli, ["publish", "--index", str(index), "--to", str(copy)])
        assert result.exit_code == 0, result.output
        return result.output

    assert publish().startswith(f"{copy} now serves generation 1: ")
    assert publish() == f"{copy} already serves generation 1.\n"
    # The copy answers the same users and tokens, and its secrets stay private.
    for name in ("users.json", "secret.key"):
        if (index / name).exists():
            assert (copy / name).read_bytes() == (index / name).read_bytes()
            assert (copy / name).stat().st_mode & 0o777 == 0o600
    load = Load(tuple(sources))
    with live_server(copy, workers=1) as server:
        assert fetch(server.url + "/api/search?q=note", None)[0] == 401
        serves(server, sources[0], 1, token)
        with under_load([server], load, token):
            published = (sources[0], 1)
            for corpus in sources[1:]:
                report = build_index(corpus.path, index)
                serves(server, *published, token)  # not published yet
                load.await_requests(16)  # two clients: 14 begun before the copy moves on
                said = publish()
                assert said.startswith(f"{copy} now serves generation {report.generation}: ")
                assert " 0 linked" not in said  # segments it had are linked, not copied
                published = (corpus, report.generation)
                serves(server, *published, token)
                load.await_requests(16)
    assert not load.failures, load.failures[:5]
    assert load.generations == {1, 2, 3} and load.served > 20
    assert sorted(p.name for p in copy.glob("gen-*")) == [f"gen-{n:06d}" for n in (1, 2, 3)]
