"""The `seedsearch` command line: index, search, stats (serve comes from webapp)."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import click

from .build.isolation import DEFAULT_MEMORY, DEFAULT_SECONDS, FileLimits, describe_bytes
from .build.run import build_index
from .errors import BadQuery, SeedsearchError
from .index.status import Count, Status, collect
from .models import BuildReport, Query
from .readers.ocr import OcrSettings, settings_from
from .search import filters
from .search.engine import MAX_PER_PAGE, Engine
from .settings import (
    CLUSTER_ENV,
    DEFAULT_INDEX,
    DEFAULT_SOURCE,
    FILE_MEMORY_ENV,
    FILE_TIMEOUT_ENV,
    INDEX_ENV,
    OCR_LANG_ENV,
    OCR_TIMEOUT_ENV,
    SOURCE_ENV,
)

source_option = click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=DEFAULT_SOURCE,
    envvar=SOURCE_ENV,
    show_default=True,
    help="Folder of documents to index (env SEEDSEARCH_SOURCE).",
)
index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_INDEX,
    envvar=INDEX_ENV,
    show_default=True,
    help="Index folder (env SEEDSEARCH_INDEX).",
)


def ocr_options(command):
    """--no-ocr, --ocr-lang and --ocr-timeout, for the commands that build."""
    command = click.option(
        "--ocr-timeout",
        type=click.FloatRange(min=1),
        default=None,
        metavar="SECONDS",
        help=f"Time limit of OCR on one page (env {OCR_TIMEOUT_ENV})  [default: 120]",
    )(command)
    command = click.option(
        "--ocr-lang",
        default=None,
        metavar="LANGS",
        help=f"Tesseract languages of scans, joined by + (env {OCR_LANG_ENV})  [default: eng+rus]",
    )(command)
    return click.option(
        "--no-ocr", is_flag=True, help="Leave scanned pages and images unread (no OCR)."
    )(command)


def ocr_settings(no_ocr: bool, ocr_lang: str | None, ocr_timeout: float | None) -> OcrSettings:
    """The OCR settings from the options and the environment; a usage error if bad."""
    try:
        return settings_from(not no_ocr, ocr_lang, ocr_timeout)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def ocr_lines(report: BuildReport, settings: OcrSettings) -> list[str]:
    """What a build left of the scanned pages, for the lines under its summary."""
    if not report.ocr_waiting:
        return []
    pages = f"{report.ocr_waiting} scanned page{'s' if report.ocr_waiting != 1 else ''}"
    if not settings.enabled:
        return [f"{pages} not read: OCR is off (--no-ocr)"]
    if report.ocr_problem:
        return [f"{pages} not read: {report.ocr_problem}"]
    return [f"{pages} still to read by OCR (`seedsearch index` or the watcher goes on)"]


class ByteSize(click.ParamType):
    """A size such as 2GB, 512MB or 1.5G (binary units); a plain number is MB."""

    name = "size"
    UNITS = {"": 1 << 20, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    MINIMUM = 16 << 20

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([bkmgt]?)(?:i?b)?\s*", str(value), re.I)
        if match is None:
            self.fail(f"{value!r} is not a size such as 2GB or 500MB.", param, ctx)
        size = int(float(match[1]) * self.UNITS[match[2].lower()])
        if size < self.MINIMUM:
            self.fail(f"{value!r} is less than {describe_bytes(self.MINIMUM)}.", param, ctx)
        return size


def limit_options(command):
    """--file-timeout and --file-memory, the limits each file is read within."""
    command = click.option(
        "--file-memory",
        type=ByteSize(),
        default=describe_bytes(DEFAULT_MEMORY).replace(" ", ""),
        envvar=FILE_MEMORY_ENV,
        show_default=True,
        metavar="SIZE",
        help="Memory reading one file may take; a file that needs more is skipped "
        f"(env {FILE_MEMORY_ENV}).",
    )(command)
    return click.option(
        "--file-timeout",
        type=click.FloatRange(min=0.1),
        default=DEFAULT_SECONDS,
        envvar=FILE_TIMEOUT_ENV,
        show_default=True,
        metavar="SECONDS",
        help=f"Time reading one file may take; a file that takes longer is skipped "
        f"(env {FILE_TIMEOUT_ENV}).",
    )(command)


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


poll_option = click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Watch by scanning every SECONDS instead of inotify (network shares).",
)


cluster_option = click.option(
    "--cluster",
    default=None,
    envvar=CLUSTER_ENV,
    metavar="ADDRESS",
    help="Read the files on the Dask cluster of this scheduler, e.g. tcp://host:8786 "
    "(env SEEDSEARCH_CLUSTER).",
)


@cli.command("index")
@source_option
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of updating.")
@click.option("--strict", is_flag=True, help="Fail (index untouched) on any warning.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Read again the files that failed before, changed or not.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Files read at once, each in its own process  [default: one per CPU]",
)
@click.option("--watch", is_flag=True, help="Then keep indexing changes until stopped.")
@poll_option
@ocr_options
@cluster_option
@limit_options
def index_command(
    source: Path,
    index_dir: Path,
    full: bool,
    strict: bool,
    quiet: bool,
    retry_failed: bool,
    jobs: int | None,
    watch: bool,
    poll: float | None,
    no_ocr: bool,
    ocr_lang: str | None,
    ocr_timeout: float | None,
    cluster: str | None,
    file_timeout: float,
    file_memory: int,
) -> None:
    """Index the documents in SOURCE into INDEX, atomically; then read scanned
    pages and images by OCR, publishing their text as it comes."""
    if poll is not None and not watch:
        raise click.UsageError("--poll needs --watch.")
    ocr = ocr_settings(no_ocr, ocr_lang, ocr_timeout)
    limits = FileLimits(file_timeout, file_memory)
    if watch:
        # Imported here: watchdog and the fork server need not slow every other command.
        from .watching.loop import WatchOptions
        from .watching.run import run_watcher

        options = WatchOptions(
            source,
            index_dir,
            poll=poll,
            full=full,
            strict=strict,
            ocr=ocr,
            cluster=cluster,
            limits=limits,
            retry_failed=retry_failed,
            jobs=jobs,
        )
        try:
            run_watcher(options, quiet)
        except SeedsearchError as exc:
            raise fail(exc) from None
        return
    files, pages = _Bar("Indexing"), _Bar("OCR (pages)")
    show_bar = not quiet and sys.stderr.isatty()
    try:
        report = build_index(
            source,
            index_dir,
            full=full,
            strict=strict,
            progress=files.show if show_bar else None,
            ocr=ocr,
            ocr_progress=pages.show if show_bar else None,
            cluster=cluster,
            procs=jobs,
            limits=limits,
            retry_failed=retry_failed,
        )
    except SeedsearchError as exc:
        raise fail(exc) from None
    finally:
        files.close()
        pages.close()
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.ocr_problem and ocr.enabled:
        click.echo(f"warning: OCR: {report.ocr_problem}", err=True)
    if not quiet:
        click.echo(report.summary())
        for line in report.format_lines() + ocr_lines(report, ocr):
            click.echo(f"  {line}")
        if report.cluster:
            click.echo(f"  files read on the Dask cluster at {report.cluster}")
        if report.kept_failures:
            click.echo(kept_failures_note(report.kept_failures))


def kept_failures_note(count: int) -> str:
    """What a build says of the files it did not try again."""
    files, were = ("file", "was") if count == 1 else ("files", "were")
    return (
        f"{count} {files} that failed before, unchanged since, {were} not read again "
        "(`seedsearch index --retry-failed` reads them again)."
    )


class _Bar:
    """A progress bar on stderr, drawn from the first step on."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.done = 0

    def show(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command("search")
@click.argument("query")
@index_option
@click.option(
    "--limit", default=10, show_default=True, help=f"Results per page (1-{MAX_PER_PAGE})."
)
@click.option("--page", default=1, show_default=True, help="Page of results.")
@click.option(
    "--group",
    type=click.Choice(["passage", "doc"]),
    default="passage",
    show_default=True,
    help="One result per passage, or per document (documents paged, best passages shown).",
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Most relevant first, or newest first.",
)
@click.option("--in", "folders", multiple=True, help="Only this folder (repeatable): reports/2014.")
@click.option("--type", "formats", multiple=True, help="Only this format (repeatable): pdf, md ...")
@click.option("--year", "years", multiple=True, help="Only this year or range: 2014, 2014..2016.")
@click.option(
    "--lang", "langs", multiple=True, help="Only passages in this language (repeatable): ru, de ..."
)
@click.option("--json", "as_json", is_flag=True, help="Print the web API's JSON.")
def search_command(
    query: str,
    index_dir: Path,
    limit: int,
    page: int,
    group: str,
    sort: str,
    folders: tuple[str, ...],
    formats: tuple[str, ...],
    years: tuple[str, ...],
    langs: tuple[str, ...],
    as_json: bool,
) -> None:
    """Search the index for QUERY (filters may be typed in it: in:reports type:pdf lang:ru)."""
    try:
        asked = Query(
            text=query,
            page=page,
            per_page=limit,
            filters=filters.from_values(folders, formats, years, langs),
            by_document=group == "doc",
            by_date=sort == "date",
        )
        result = Engine(index_dir).search(asked)
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
    if result.documents is None:
        click.echo(f"{result.total} passages ({result.took_ms} ms)")
    else:
        click.echo(f"{result.total} documents, {result.passages} passages ({result.took_ms} ms)")
    for note in result.notes:
        click.echo(note)
    if result.documents is None:
        for n, hit in enumerate(result.hits, first + 1):
            where = " — ".join(x for x in (hit.title, hit.section, page_of(hit)) if x)
            click.echo(f"\n{n}. {hit.id}  [{where}]")
            click.echo("   " + terminal_snippet(hit.snippet))
        return
    for n, doc in enumerate(result.documents, first + 1):
        where = " · ".join(x for x in (doc.format, doc.date) if x)
        more = f", {doc.matches} matching passages" if doc.matches > 1 else ""
        click.echo(f"\n{n}. {doc.title or doc.doc}  [{doc.doc} · {where}{more}]")
        for hit in doc.passages:
            page = f" ({page_of(hit)})" if hit.page else ""
            click.echo(f"   #p{hit.ordinal}{page}: " + terminal_snippet(hit.snippet))


def page_of(hit) -> str:
    """ "p. 82" for a passage of a paged format ("" otherwise)."""
    return f"p. {hit.page_label or hit.page}" if hit.page else ""


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


@cli.command("status")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of /api/status.")
def status_command(index_dir: Path, as_json: bool) -> None:
    """The index by folder and format, the last build, the watcher, skipped files.

    Exit status 1 when no index is served (missing or broken).
    """
    status = collect(index_dir)
    if as_json:
        click.echo(json.dumps(status.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(status_text(index_dir, status))
    if status.problem:
        sys.exit(1)


def status_text(index_dir: Path, status: Status) -> str:
    """`seedsearch status` for people: one fact a line, then the tables."""
    lines = []
    if status.problem:
        lines.append(f"index       {status.problem}")
    else:
        lines.append(f"index       {index_dir} (generation {status.generation})")
        lines.append(f"documents   {status.documents:,} ({status.passages:,} passages)")
    build = status.last_build
    if build:
        how = "full build" if build.full else "update"
        lines.append(
            f"last build  {build.finished_at}, {how} in {build.seconds:.2f}s: "
            f"{build.added} added, {build.updated} updated, {build.moved} moved, "
            f"{build.removed} removed, {build.unchanged} unchanged, {build.skipped} skipped"
        )
        if build.cluster:
            lines.append(f"            files read on the Dask cluster at {build.cluster}")
    lines.append(f"building    {building_text(status)}")
    watch = status.watch
    if watch is None:
        lines.append("watching    no (no watcher is running)")
    else:
        how = f"polling every {watch.poll_seconds:g}s" if watch.poll_seconds else watch.mode
        lines.append(f"watching    {how}, {watch.activity} since {watch.since}")
        if watch.note:
            lines.append(f"            {watch.note}")
        if watch.pending_since:
            lines.append(f"pending     changes since {watch.pending_since}")
        if watch.error:
            lines.append(f"last error  {watch.error} ({watch.failures} in a row)")
            if watch.retry_at:
                lines.append(f"            next try at {watch.retry_at}")
    if status.ocr is not None:
        lines.append(f"ocr         {ocr_text(status.ocr)}")
    tables = (("folder", status.folders), ("format", status.formats))
    for title, counts in (*tables, ("language", status.languages)):
        if counts:
            lines.append("")
            lines += _table(title, counts)
    if status.skipped:
        lines.append("")
        lines.append(f"skipped ({len(status.skipped)})")
        lines += [f"  {s.file}: {s.reason}" for s in status.skipped]
    return "\n".join(lines)


def ocr_text(ocr) -> str:
    """ "12 pages read, 30 to go in 2 files (about 2 min); eng+rus" """
    out = f"{ocr.pages_read:,} pages read"
    if ocr.pages_waiting:
        files = f"{ocr.files_waiting} file{'s' if ocr.files_waiting != 1 else ''}"
        out += f", {ocr.pages_waiting:,} to go in {files}"
        if ocr.problem:
            out += f" (not read: {ocr.problem})"
        elif not ocr.enabled:
            out += " (not read: OCR is off)"
        elif ocr.estimate():
            out += f" ({ocr.estimate()})"
    return f"{out}; {ocr.langs}"


def building_text(status: Status) -> str:
    """ "no", or "yes: 120 of 660 files, on the Dask cluster at tcp://… (2 workers: …)"."""
    progress = status.progress
    if not status.building or progress is None:
        return "yes" if status.building else "no"
    text = f"yes: {progress.done:,} of {progress.total:,} files" if progress.total else "yes"
    text += f", since {progress.started}"
    if progress.cluster:
        count = len(progress.workers)
        text += f", on the Dask cluster at {progress.cluster} ({count} worker"
        text += f"{'' if count == 1 else 's'}: {', '.join(progress.workers)})"
    return text


def _table(title: str, counts: tuple[Count, ...]) -> list[str]:
    names = [c.name or "(top)" for c in counts]
    width = max(len(title), *(len(n) for n in names))
    rows = [f"{title:<{width}}  {'documents':>9}  {'passages':>9}"]
    for name, c in zip(names, counts, strict=True):
        rows.append(f"{name:<{width}}  {c.documents:>9,}  {c.passages:>9,}")
    return rows


def main() -> None:  # pragma: no cover - console script entry
    cli()
