"""The `seedsearch` command line: index, search, stats (serve comes from webapp)."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import click

from .build import build_index
from .errors import BadQuery, SeedsearchError
from .models import Query
from .search import MAX_PER_PAGE, Engine

DEFAULT_SOURCE = "seeds"
DEFAULT_INDEX = "index"

source_option = click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=DEFAULT_SOURCE,
    envvar="SEEDSEARCH_SOURCE",
    show_default=True,
    help="Folder of documents to index (env SEEDSEARCH_SOURCE).",
)
index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_INDEX,
    envvar="SEEDSEARCH_INDEX",
    show_default=True,
    help="Index folder (env SEEDSEARCH_INDEX).",
)


class QueryProblem(click.ClickException):
    """A query that cannot be run: a usage error, exit status 2."""

    exit_code = 2


def fail(exc: SeedsearchError) -> click.ClickException:
    if isinstance(exc, BadQuery):
        return QueryProblem(exc.message)
    return click.ClickException(exc.message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seedsearch")
def cli() -> None:
    """Passage-level full-text search over a folder of documents."""


@cli.command("index")
@source_option
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@click.option("--strict", is_flag=True, help="Fail (index untouched) on any warning.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def index_command(source: Path, index_dir: Path, full: bool, strict: bool, quiet: bool) -> None:
    """Index the documents in SOURCE into INDEX, atomically."""
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Indexing", file=sys.stderr)
            bar.__enter__()
        bar.update(1)

    show_bar = not quiet and sys.stderr.isatty()
    try:
        report = build_index(
            source, index_dir, full=full, strict=strict, progress=progress if show_bar else None
        )
    except SeedsearchError as exc:
        raise fail(exc) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not quiet:
        click.echo(report.summary())
        for line in report.format_lines():
            click.echo(f"  {line}")


@cli.command("search")
@click.argument("query")
@index_option
@click.option(
    "--limit", default=10, show_default=True, help=f"Results per page (1-{MAX_PER_PAGE})."
)
@click.option("--page", default=1, show_default=True, help="Page of results.")
@click.option("--json", "as_json", is_flag=True, help="Print the web API's JSON.")
def search_command(query: str, index_dir: Path, limit: int, page: int, as_json: bool) -> None:
    """Search the index for QUERY."""
    try:
        result = Engine(index_dir).search(Query(text=query, page=page, per_page=limit))
    except SeedsearchError as exc:
        raise fail(exc) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    if result.corrected:
        click.echo(f"Showing results for {result.searched!r} (no match for {query!r}).")
    elif result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}?")
    first = (page - 1) * limit
    click.echo(f"{result.total} passages ({result.took_ms} ms)")
    for note in result.notes:
        click.echo(note)
    for n, hit in enumerate(result.hits, first + 1):
        page = f"p. {hit.page_label or hit.page}" if hit.page else ""
        where = " — ".join(x for x in (hit.title, hit.section, page) if x)
        click.echo(f"\n{n}. {hit.id}  [{where}]")
        click.echo("   " + terminal_snippet(hit.snippet))


def terminal_snippet(snippet: str) -> str:
    """A snippet's HTML as terminal text, marks in bold."""
    parts = re.split(r"(<mark>.*?</mark>)", snippet)
    out = []
    for part in parts:
        if part.startswith("<mark>"):
            out.append(click.style(html.unescape(part[6:-7]), bold=True, underline=True))
        else:
            out.append(html.unescape(part))
    return "".join(out)


@cli.command("stats")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(index_dir: Path, as_json: bool) -> None:
    """Documents, passages, terms and size of the index."""
    try:
        stats = Engine(index_dir).stats()
    except SeedsearchError as exc:
        raise fail(exc) from None
    if as_json:
        click.echo(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"index       {stats.path} (generation {stats.generation})")
    click.echo(f"built       {stats.built_at}")
    click.echo(f"documents   {stats.documents}")
    click.echo(f"passages    {stats.passages}")
    click.echo(f"terms       {stats.terms}")
    click.echo(f"size        {stats.size_bytes / 1e6:.2f} MB")
    for count in stats.formats:
        click.echo(f"  {count.line()}")
    for d in stats.per_document:
        click.echo(f"  {d.passages:6d}  {d.doc}")


def main() -> None:  # pragma: no cover - console script entry
    cli()
