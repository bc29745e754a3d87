"""seedsearch on a test collection: index it the normal way, run every topic
through Engine.search, keep each document's first passage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index

from bench.relevance_collection import Collection
from indexer.build.run import build_index
from indexer.errors import SeedsearchError
from indexer.index import generations
from indexer.models import Query
from indexer.search import group as grouping
from indexer.search import parse as query
from indexer.search import rank as ranking
from indexer.search.engine import MAX_PER_PAGE, Engine

Run = dict[str, dict[str, float]]
SUFFIX = ".md"


@dataclass(frozen=True)
class EngineRun:
    run: Run
    refused: tuple[str, ...]  # topics the engine answered with an error
    passages: int
    documents: int


def write_documents(collection: Collection, folder: Path) -> None:
    """Each document as Markdown: its title as the heading, then its text."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in collection.docs:
        (folder / f"{doc.id}{SUFFIX}").write_text(doc.markdown(), "utf-8")


def index_collection(collection: Collection, workdir: Path, procs: int | None = None) -> Path:
    """Write the documents under `workdir` and index them; the index root."""
    source, index = workdir / "source", workdir / "index"
    write_documents(collection, source)
    build_index(source, index, full=True, procs=procs)
    return index


def run_topics(engine: Engine, topics: dict[str, str], by_document: bool) -> EngineRun:
    """Every topic through Engine.search, 1000 documents of the grouped view or
    1000 passages deduplicated by document."""
    run: Run = {}
    refused = []
    for number, text in topics.items():
        try:
            result = engine.search(Query(text, per_page=MAX_PER_PAGE, by_document=by_document))
        except SeedsearchError:
            refused.append(number)
            run[number] = {}
            continue
        found = result.documents if by_document else result.hits
        run[number] = _by_rank(hit.doc for hit in found)
    health = engine.health()
    return EngineRun(run, tuple(refused), health.passages, health.documents)


def _by_rank(docs) -> dict[str, float]:
    """Each document at its first place, scored by rank: the engine's order
    exactly, ties included."""
    ranked: dict[str, float] = {}
    for doc in docs:
        doc = doc.removesuffix(SUFFIX)
        if doc not in ranked:
            ranked[doc] = float(MAX_PER_PAGE - len(ranked))
    return ranked


def rank_topics(index_root: Path, topics: dict[str, str], by_document: bool = True) -> Run:
    """Every topic through parse.parse and group.group (documents) or
    rank.rank (passages, deduplicated by document): the functions
    Engine.search calls, without its highlighting."""
    gen_dir, _ = generations.locate(index_root)
    searcher = whoosh_index.open_dir(str(gen_dir)).searcher(weighting=ranking.weighting())
    try:
        docs = {n: searcher.stored_fields(n)["doc"] for n in range(searcher.doc_count_all())}
        run: Run = {}
        for number, text in topics.items():
            parsed = query.parse(text, searcher.reader())
            if by_document:
                found = grouping.group(searcher, parsed, 0, MAX_PER_PAGE)
                run[number] = _by_rank(g.doc for g in found.groups)
            else:
                ranked = ranking.rank(searcher, parsed, 0, MAX_PER_PAGE, None)
                run[number] = _by_rank(docs[n] for n, _ in ranked.scored)
        return run
    finally:
        searcher.close()


@dataclass(frozen=True)
class SeedCheck:
    passed: int
    judged: int
    known: int  # judged queries marked as known failures
    failures: tuple[str, ...]  # queries whose first hit is not a judged passage


def check_seed(seeds: Path, judged_file: Path, workdir: Path) -> SeedCheck:
    """The seed essay's judged queries (tests/seed_queries.json) against an
    index of seeds/: how many return a judged passage first."""
    judged = json.loads(judged_file.read_text(encoding="utf-8"))
    build_index(seeds, workdir / "seed-index", full=True, procs=1)
    failures = []
    with Engine(workdir / "seed-index") as engine:
        for case in judged["queries"]:
            hits = engine.search(Query(case["query"])).hits
            wanted = {f"{judged['document']}#{p}" for p in case["first"]}
            if not hits or hits[0].id not in wanted:
                failures.append(case["query"])
    known = sum(1 for c in judged["queries"] if "known_failure" in c)
    total = len(judged["queries"])
    return SeedCheck(total - len(failures), total, known, tuple(failures))
