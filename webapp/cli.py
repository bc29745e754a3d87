"""The full `seedsearch` command: the indexer's commands plus `serve`."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import click

from indexer.build.isolation import FileLimits
from indexer.build.run import build_index
from indexer.cli import (
    cli,
    cluster_option,
    fail,
    index_option,
    limit_options,
    ocr_lines,
    ocr_options,
    ocr_settings,
    poll_option,
    source_option,
)
from indexer.errors import IndexMissing, SeedsearchError
from indexer.index import generations
from indexer.index.replica import publish_to
from indexer.index.watch import read_state
from indexer.readers.ocr import OcrSettings

from .auth import users as users_file
from .auth.commands import token_group, user_group
from .auth.sessions import SECRET_KEY_FILE
from .server import DEFAULT_THREADS, PortUnavailable, check_port, serve_dev, serve_gunicorn


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@cli.command("serve")
@index_option
@source_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="gunicorn worker processes  [default: CPU count]",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=DEFAULT_THREADS,
    show_default=True,
    help="Connections each worker serves at once.",
)
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
@click.option(
    "--watch/--no-watch",
    default=False,
    help="Index changes to SOURCE as they happen, in one background process.",
)
@poll_option
@ocr_options
@cluster_option
@limit_options
def serve_command(
    index_dir: Path,
    source: Path,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    dev: bool,
    watch: bool,
    poll: float | None,
    no_ocr: bool,
    ocr_lang: str | None,
    ocr_timeout: float | None,
    cluster: str | None,
    file_timeout: float,
    file_memory: int,
) -> None:
    """Serve the search page and API; index SOURCE first if INDEX has no index yet."""
    if poll is not None and not watch:
        raise click.UsageError("--poll needs --watch.")
    ocr = ocr_settings(no_ocr, ocr_lang, ocr_timeout)
    limits = FileLimits(file_timeout, file_memory)
    ensure_index(index_dir, source, ocr, limits, cluster)
    warn_if_exposed(host, index_dir)
    try:
        check_port(host, port)
    except PortUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    if watch:  # before gunicorn forks its workers: builds never run in one
        start_watching(index_dir, source, poll, ocr, limits, cluster)
    config = {"INDEX": str(index_dir), "SOURCE": str(source)}
    workers = workers or default_workers()
    where = f"http://{host}:{port}/"
    if dev:
        click.echo(f"Serving {index_dir} at {where} (development server)", err=True)
        serve_dev(config, host, port)
    else:
        noun = "worker" if workers == 1 else "workers"
        click.echo(
            f"Serving {index_dir} at {where} ({workers} {noun}, {threads} threads each)", err=True
        )
        serve_gunicorn(config, host, port, workers, threads)


def warn_if_exposed(host: str, index_dir: Path) -> None:
    """Say so when the archive would be open to a network: no users, not loopback."""
    try:
        users = users_file.read(users_file.users_path(index_dir))
    except SeedsearchError as exc:
        raise click.ClickException(exc.message) from None
    if users.enabled or is_loopback(host):
        return
    click.echo(
        f"warning: serving on {host} with no users: anyone who can reach it can read the "
        "whole archive. Add one with `seedsearch user add NAME`, and put a reverse proxy "
        "with TLS in front (README: Operating it).",
        err=True,
    )


def is_loopback(host: str) -> bool:
    """Whether `host` only answers this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it reaches beyond this machine


def start_watching(
    index_dir: Path,
    source: Path,
    poll: float | None,
    ocr: OcrSettings,
    limits: FileLimits,
    cluster: str | None,
) -> None:
    """Start the watcher process, unless another already keeps the index up to date."""
    other = read_state(index_dir)
    if other is not None:
        click.echo(
            f"warning: not watching {source}: another watcher (pid {other.pid}) "
            f"keeps {index_dir} up to date",
            err=True,
        )
        return
    from indexer.watching.loop import WatchOptions  # here: see indexer.cli's index command
    from indexer.watching.run import spawn_watcher

    spawn_watcher(
        WatchOptions(source, index_dir, poll=poll, ocr=ocr, limits=limits, cluster=cluster)
    )


def ensure_index(
    index_dir: Path,
    source: Path,
    ocr: OcrSettings,
    limits: FileLimits,
    cluster: str | None = None,
) -> None:
    """Build the index from `source` when `index_dir` has none yet. Scanned pages
    wait: OCR takes seconds a page, and serving must not wait for it."""
    try:
        generations.locate(index_dir)
        return
    except IndexMissing:
        pass
    except SeedsearchError as exc:
        # A damaged or outdated index: serve anyway (pages explain it) so that a
        # `seedsearch index --full` fixes the running server without a restart.
        click.echo(f"warning: {exc.message}", err=True)
        return
    if not source.is_dir():
        raise click.ClickException(
            f"No index at {index_dir}, and no folder {source} to build one from; "
            "pass --source DIR (or --index DIR for an existing index)."
        )
    click.echo(f"No index at {index_dir} yet; indexing {source} ...", err=True)
    try:
        report = build_index(
            source, index_dir, ocr=ocr, ocr_budget=0, limits=limits, cluster=cluster
        )
    except SeedsearchError as exc:
        raise fail(exc) from None
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(report.summary(), err=True)
    for line in ocr_lines(report, ocr):
        click.echo(f"  {line}", err=True)


@cli.command("publish")
@index_option
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="The copy to bring up to date: a folder another server serves.",
)
def publish_command(index_dir: Path, target: Path) -> None:
    """Copy INDEX's current generation to another folder, its pointer last."""
    try:
        done = publish_to(index_dir, target, beside=(users_file.USERS_FILE, SECRET_KEY_FILE))
    except SeedsearchError as exc:
        raise fail(exc) from None
    if done.already:
        click.echo(f"{target} already serves generation {done.generation}.")
        return
    click.echo(
        f"{target} now serves generation {done.generation}: {done.copied} files copied "
        f"({done.bytes_copied / 1e6:.1f} MB), {done.linked} linked from its previous one."
    )


cli.add_command(user_group)
cli.add_command(token_group)


def main() -> None:
    """The `seedsearch` console script."""
    cli()
