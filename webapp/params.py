"""Turn a request's query-string arguments into a Query, or a BadQuery."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from indexer.errors import BadQuery
from indexer.models import Query

_TRUE = frozenset({"1", "true", "yes", "on"})


def query_text(args: MultiDict) -> str:
    """The query as typed, without surrounding blanks."""
    return args.get("q", "").strip()


def exact_requested(args: MultiDict) -> bool:
    """True when ?exact=1 asks to search the words as typed, uncorrected."""
    return args.get("exact", "").strip().lower() in _TRUE


def query_from_args(args: MultiDict, *, per_page: int, per_doc: int | None = None) -> Query:
    """The Query that ?q=&page=&per_page= (or limit=)&exact= asks for."""
    return Query(
        text=query_text(args),
        page=_number(args, ("page",), 1),
        per_page=_number(args, ("per_page", "limit"), per_page),
        per_doc=per_doc,
        exact=exact_requested(args),
    )


def _number(args: MultiDict, names: tuple[str, ...], default: int) -> int:
    """The first of `names` given as a whole number, or `default` when none is."""
    for name in names:
        value = args.get(name, "").strip()
        if not value:
            continue
        try:
            return int(value, 10)
        except ValueError:
            raise BadQuery(f"“{name}” must be a whole number, not {value[:20]!r}.") from None
    return default
