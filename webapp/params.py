"""Turn a request's query-string arguments into a Query, or a BadQuery."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from indexer.errors import BadQuery
from indexer.models import Filters, Query
from indexer.search import filters

_TRUE = frozenset({"1", "true", "yes", "on"})
GROUPS = {"doc": True, "passage": False}  # ?group=: one entry per document, or per passage
SORTS = {"relevance": False, "date": True}  # ?sort=: most relevant or newest first
FILTER_PARAMETERS = ("in", "type", "year", "lang")


def posted_args(request) -> MultiDict:
    """A POST's parameters: a JSON object's (a repeatable one as a list) or a form's."""
    if not request.is_json:
        return request.form
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadQuery('The body must be a JSON object of the parameters, as {"q": "donors"}.')
    pairs = []
    for name, value in body.items():
        for one in value if isinstance(value, list) else [value]:
            if one is None or isinstance(one, dict | list):
                raise BadQuery(f"{name}: give a string or a number (or a list of them).")
            pairs.append((name, str(one).lower() if isinstance(one, bool) else str(one)))
    return MultiDict(pairs)


def query_text(args: MultiDict) -> str:
    """The query as typed, without surrounding blanks."""
    return _arg(args, "q").strip()


def exact_requested(args: MultiDict) -> bool:
    """True when ?exact=1 asks to search the words as typed, uncorrected."""
    return _arg(args, "exact").strip().lower() in _TRUE


def filters_given(args: MultiDict) -> bool:
    """True when ?in=, ?type=, ?year= or ?lang= name something."""
    return any(v.strip() for name in FILTER_PARAMETERS for v in _args(args, name))


def query_from_args(
    args: MultiDict,
    *,
    per_page: int,
    per_doc: int | None = None,
    group: str = "passage",
    facets: bool = False,
) -> Query:
    """The Query that ?q=&page=&per_page= (or limit=)&exact=&group=&sort=&in=&type=
    &year=&lang=&facets= ask for; `group` and `facets` are the defaults of the caller."""
    return Query(
        text=query_text(args),
        page=_number(args, ("page",), 1),
        per_page=_number(args, ("per_page", "limit"), per_page),
        per_doc=per_doc,
        exact=exact_requested(args),
        filters=filters_from_args(args),
        by_document=_choice(args, "group", GROUPS, group),
        by_date=_choice(args, "sort", SORTS, "relevance"),
        facets=facets or _arg(args, "facets").strip().lower() in _TRUE,
    )


def filters_from_args(args: MultiDict) -> Filters:
    """?in=reports/2014&type=pdf&year=2014..2016&lang=ru, each repeatable; blanks ignored."""
    given = {name: [v for v in _args(args, name) if v.strip()] for name in FILTER_PARAMETERS}
    return filters.from_values(given["in"], given["type"], given["year"], given["lang"])


def _choice(args: MultiDict, name: str, choices: dict[str, bool], default: str) -> bool:
    value = _arg(args, name).strip().lower() or default
    if value not in choices:
        allowed = " or ".join(f"“{c}”" for c in choices)
        raise BadQuery(f"“{name}” must be {allowed}, not {value[:20]!r}.")
    return choices[value]


def _number(args: MultiDict, names: tuple[str, ...], default: int) -> int:
    """The first of `names` given as a whole number, or `default` when none is."""
    for name in names:
        value = _arg(args, name).strip()
        if not value:
            continue
        try:
            return int(value, 10)
        except ValueError:
            raise BadQuery(f"“{name}” must be a whole number, not {value[:20]!r}.") from None
    return default


def _arg(args: MultiDict, name: str) -> str:
    """The first value of `name`, or "". Most parameters are absent from most
    requests: asking first spares the exception a MultiDict raises (and catches)
    for each missing one (about 7 µs of a request's 150 when the answer is cached)."""
    return args.get(name, "") if name in args else ""


def _args(args: MultiDict, name: str) -> list[str]:
    """Every value of `name` (see _arg)."""
    return args.getlist(name) if name in args else []
