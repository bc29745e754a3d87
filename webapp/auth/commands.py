"""`seedsearch user ...` and `seedsearch token ...`: edit the users file beside the
index. Passwords are read from a prompt (or stdin), never from the command line."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from indexer.cli import index_option
from indexer.errors import SeedsearchError

from . import users as users_file
from .files import create_private_once
from .sessions import SECRET_KEY_FILE, new_secret
from .store import STORE_FILE, AuthStore
from .users import Users, users_path

password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)


@click.group("user")
def user_group() -> None:
    """Manage the users who may log in (access control is on while any exist)."""


@user_group.command("add")
@click.argument("name")
@index_option
@password_stdin_option
def user_add(name: str, index_dir: Path, password_stdin: bool) -> None:
    """Add user NAME; asks for the password twice."""
    with clear_errors():
        users_file.check_name(name)
    password = read_password(password_stdin)
    prepare_server_files(index_dir)  # before the gate closes on a running server
    users = change(index_dir, lambda u: users_file.with_user(u, name, password))
    click.echo(f"Added user {name!r}; {len(users.users)} user(s) can log in.", err=True)
    if len(users.users) == 1:
        click.echo("Access control is on: every page and the API now need a login.", err=True)


@user_group.command("passwd")
@click.argument("name")
@index_option
@password_stdin_option
def user_passwd(name: str, index_dir: Path, password_stdin: bool) -> None:
    """Change NAME's password and end NAME's sessions."""
    if read_users(index_dir).user(name) is None:
        raise click.ClickException(f"No user {name!r}.")
    password = read_password(password_stdin)
    change(index_dir, lambda u: users_file.with_password(u, name, password))
    with clear_errors():
        ended = AuthStore(index_dir / STORE_FILE).end_sessions_of(name)
    click.echo(f"Changed {name!r}'s password; ended {ended} session(s).", err=True)


@user_group.command("remove")
@click.argument("name")
@index_option
def user_remove(name: str, index_dir: Path) -> None:
    """Remove user NAME, with NAME's tokens and sessions."""
    users = change(index_dir, lambda u: users_file.without_user(u, name))
    with clear_errors():
        AuthStore(index_dir / STORE_FILE).end_sessions_of(name)
    click.echo(f"Removed user {name!r}.", err=True)
    if not users.enabled:
        click.echo(
            "warning: no users left: access control is off, and anyone who can reach the "
            "server can read the archive.",
            err=True,
        )


@user_group.command("list")
@index_option
def user_list(index_dir: Path) -> None:
    """List the users, one a line: name, created, API tokens."""
    users = read_users(index_dir)
    if not users.enabled:
        click.echo("No users: access control is off.", err=True)
    for user in users.users:
        tokens = sum(t.user == user.name for t in users.tokens)
        click.echo(f"{user.name}\tcreated {user.created}\t{tokens} token(s)")


@click.group("token")
def token_group() -> None:
    """Manage API tokens (Authorization: Bearer TOKEN)."""


@token_group.command("add")
@click.argument("name")
@index_option
@click.option("--label", default="", help="A note to tell the token apart in listings.")
def token_add(name: str, index_dir: Path, label: str) -> None:
    """Make an API token for user NAME and print it (shown only this once)."""
    token = ""

    def add(users: Users) -> Users:
        nonlocal token
        users, token = users_file.with_token(users, name, label)
        return users

    change(index_dir, add)
    token_id = token.split("_")[1]
    click.echo(f"Token {token_id} for {name!r}; copy it now, it is not shown again:", err=True)
    click.echo(token)


@token_group.command("list")
@index_option
def token_list(index_dir: Path) -> None:
    """List the tokens, one a line: id, user, created, label (never the token)."""
    for token in read_users(index_dir).tokens:
        click.echo(f"{token.id}\t{token.user}\tcreated {token.created}\t{token.label}")


@token_group.command("remove")
@click.argument("token_id")
@index_option
def token_remove(token_id: str, index_dir: Path) -> None:
    """Revoke the token TOKEN_ID (as `seedsearch token list` shows it)."""
    change(index_dir, lambda u: users_file.without_token(u, token_id))
    click.echo(f"Revoked token {token_id}.", err=True)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    with clear_errors():
        return users_file.check_new_password(password)


def read_users(index_dir: Path) -> Users:
    with clear_errors():
        return users_file.read(users_path(index_dir))


def change(index_dir: Path, edit: Callable[[Users], Users]) -> Users:
    """Apply `edit` to the users file."""
    with clear_errors(f"Cannot write the users file in {index_dir}"):
        return users_file.update(users_path(index_dir), edit)


@contextlib.contextmanager
def clear_errors(cannot: str = "Cannot write") -> Iterator[None]:
    """Our errors, and the OS refusing a write, as one-line messages (exit 1)."""
    try:
        yield
    except SeedsearchError as exc:
        raise click.ClickException(exc.message) from None
    except OSError as exc:
        raise click.ClickException(f"{cannot}: {exc}") from None


def prepare_server_files(index_dir: Path) -> None:
    """Make the session key and the login store now, owned (0600) by whoever manages
    the users, rather than on a server's first request."""
    with clear_errors(f"Cannot write in {index_dir}"):
        create_private_once(index_dir / SECRET_KEY_FILE, new_secret())
        AuthStore(index_dir / STORE_FILE).create()
