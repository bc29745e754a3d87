"""The users file beside the index (`users.json`, mode 0600): users with scrypt
password hashes and their API tokens, stored hashed. No Flask here: the CLI edits
it, the web app reads it."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from indexer.errors import SeedsearchError

from .files import locked, write_private

USERS_FILE = "users.json"
LOCK_FILE = ".users.lock"
FORMAT = 1
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # longer input is refused before hashing anything
TOKEN_PREFIX = "sst"


class UserProblem(SeedsearchError):
    """A name, password or token the CLI cannot accept."""

    status = 400
    code = "bad_user"


class UsersFileBroken(SeedsearchError):
    """The users file exists but cannot be read: nobody is let in (fail closed)."""

    status = 503
    code = "users_file_broken"


@dataclass(frozen=True)
class User:
    name: str
    password: str  # werkzeug's "scrypt:N:r:p$salt$hash"
    created: str  # ISO 8601, UTC


@dataclass(frozen=True)
class Token:
    id: str  # public part, shown in listings
    user: str
    digest: str  # SHA-256 of the secret part
    label: str
    created: str


@dataclass(frozen=True)
class Users:
    """The whole users file."""

    users: tuple[User, ...] = ()
    tokens: tuple[Token, ...] = ()
    _by_name: dict[str, User] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, Token] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {u.name: u for u in self.users})
        object.__setattr__(self, "_by_id", {t.id: t for t in self.tokens})

    @property
    def enabled(self) -> bool:
        """Access control is on when at least one user exists."""
        return bool(self.users)

    def user(self, name: str) -> User | None:
        return self._by_name.get(name)

    def token(self, token_id: str) -> Token | None:
        return self._by_id.get(token_id)


def users_path(index_dir: Path) -> Path:
    return Path(index_dir) / USERS_FILE


def read(path: Path) -> Users:
    """The users in `path`; none when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Users()
    except OSError as exc:
        raise UsersFileBroken(f"Cannot read the users file {path} ({exc.strerror}).") from None
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        users = tuple(User(**u) for u in data["users"])
        tokens = tuple(Token(**t) for t in data["tokens"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsersFileBroken(f"The users file {path} is damaged ({exc}).") from None
    return Users(users, tokens)


def write(path: Path, users: Users) -> None:
    """Replace the users file atomically, readable by its owner only."""
    data = {
        "format": FORMAT,
        "users": [asdict(u) for u in users.users],
        "tokens": [asdict(t) for t in users.tokens],
    }
    write_private(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def update(path: Path, change: Callable[[Users], Users]) -> Users:
    """Read, change and write the users file under a lock (CLI commands may race)."""
    with locked(path.parent / LOCK_FILE):
        users = change(read(path))
        write(path, users)
        return users


# -- users --------------------------------------------------------------------------------


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise UserProblem(
            f"Invalid user name {name!r}: use 1-64 letters, digits and . _ @ - "
            "(starting with a letter or digit)."
        )
    return name


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserProblem(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise UserProblem(f"The password is too long: at most {MAX_PASSWORD} characters.")
    return password


def with_user(users: Users, name: str, password: str) -> Users:
    """`users` plus a new user."""
    check_name(name)
    if users.user(name):
        raise UserProblem(
            f"User {name!r} exists; change the password with `seedsearch user passwd`."
        )
    user = User(name, generate_password_hash(check_new_password(password)), _now())
    return replace(users, users=(*users.users, user))


def with_password(users: Users, name: str, password: str) -> Users:
    """`users` with `name`'s password replaced."""
    _known(users, name)
    changed = tuple(
        replace(u, password=generate_password_hash(check_new_password(password)))
        if u.name == name
        else u
        for u in users.users
    )
    return replace(users, users=changed)


def without_user(users: Users, name: str) -> Users:
    """`users` without `name` and without `name`'s tokens."""
    _known(users, name)
    return Users(
        tuple(u for u in users.users if u.name != name),
        tuple(t for t in users.tokens if t.user != name),
    )


def verify_password(users: Users, name: str, password: str) -> bool:
    """Whether `password` is `name`'s, taking as long whether or not `name` exists."""
    user = users.user(name)
    if user is None or len(password) > MAX_PASSWORD:
        check_password_hash(_dummy_hash(), password[:MAX_PASSWORD])
        return False
    return check_password_hash(user.password, password)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _known(users: Users, name: str) -> User:
    user = users.user(name)
    if user is None:
        raise UserProblem(f"No user {name!r}.")
    return user


# -- API tokens ---------------------------------------------------------------------------
# A token is "sst_<id>_<secret>": the id finds it, the secret proves it. Secrets are 256
# random bits, so one SHA-256 is enough to store them (no dictionary can guess one), and
# checking a token per API request stays cheap, unlike a password's scrypt.


def with_token(users: Users, name: str, label: str = "") -> tuple[Users, str]:
    """`users` plus a new token for `name`, and the token itself (shown only once)."""
    _known(users, name)
    token_id = secrets.token_hex(5)
    while users.token(token_id):
        token_id = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    token = Token(token_id, name, _digest(secret), label, _now())
    return replace(users, tokens=(*users.tokens, token)), f"{TOKEN_PREFIX}_{token_id}_{secret}"


def without_token(users: Users, token_id: str) -> Users:
    """`users` with the token `token_id` revoked."""
    if users.token(token_id) is None:
        raise UserProblem(f"No token {token_id!r}; `seedsearch token list` shows them.")
    return replace(users, tokens=tuple(t for t in users.tokens if t.id != token_id))


def verify_token(users: Users, presented: str) -> str | None:
    """The user a presented token belongs to, or None; constant time in the secret."""
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    token = users.token(token_id) if prefix == TOKEN_PREFIX else None
    expected = token.digest if token else _digest("")
    matches = hmac.compare_digest(_digest(secret), expected)
    return token.user if token and matches and secret else None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class UsersCache:
    """The users file as the web app sees it, read again only when it changed (one
    stat per request), so `seedsearch user add` works on a running server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._users = Users()

    def get(self) -> Users:
        try:
            st = os.stat(self.path)
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        except OSError as exc:
            raise UsersFileBroken(
                f"Cannot read the users file {self.path} ({exc.strerror})."
            ) from None
        with self._lock:
            if stamp != self._stamp:
                self._users = read(self.path) if stamp else Users()
                self._stamp = stamp
            return self._users
