"""The OpenAPI 3.1 description of the JSON API, built from the same limits the
engine enforces."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from indexer.search.engine import MAX_DEPTH, MAX_PER_PAGE
from indexer.search.filters import MAX_VALUES
from indexer.search.group import SHOWN
from indexer.search.parse import MAX_QUERY_CHARS, MAX_TERMS

ERROR_REF = {"$ref": "#/components/schemas/Error"}


def document(server_url: str) -> dict:
    """The API description, with `server_url` as its one server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "seedsearch",
            "version": _version(),
            "description": "Passage-level full-text search over a folder of documents.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": server_url}],
        # Open while the server has no users; then a token (or a login session) is needed.
        "security": [{}, {"token": []}],
        "paths": {
            "/api/search": _search_path(),
            "/api/status": _status_path(),
            "/healthz": _health_path(),
        },
        "components": {
            "schemas": {
                "SearchResult": _search_result(),
                "GroupedResult": _grouped_result(),
                "DocumentHit": _document_hit(),
                "Facets": _facets(),
                "FacetValue": _facet_value(),
                "Hit": _hit(),
                "Health": _health(),
                "Status": _status(),
                "Count": _count(),
                "Error": _error(),
            },
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `seedsearch token add NAME`.",
                }
            },
        },
    }


def _version() -> str:
    try:
        return version("seedsearch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


def _search_path() -> dict:
    get = _search_get()
    return {"get": get, "post": _search_post(get)}


def _search_post(get: dict) -> dict:
    """The same search with its parameters in the body: for queries too long for an
    address."""
    fields = {
        p["name"]: {**p["schema"], "description": p["description"]} for p in get["parameters"]
    }
    body = {"type": "object", "properties": fields}
    return {
        "operationId": "searchPosted",
        "summary": "Search passages, the parameters in the body",
        "description": (
            "The same search as GET, for a query too long for an address (a pasted page: "
            "request lines over 4 KB are refused before they reach the app). The body is a "
            "JSON object of the same parameters (a repeatable one as an array) or a form "
            "(`application/x-www-form-urlencoded`)."
        ),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": body},
                "application/x-www-form-urlencoded": {"schema": body},
            },
        },
        "responses": {
            **get["responses"],
            "413": _json("The body is over 1 MiB.", ERROR_REF),
        },
    }


def _search_get() -> dict:
    operation = {
        "operationId": "search",
        "summary": "Search passages",
        "description": (
            "One page of passages matching `q`, best first, each with a snippet "
            "whose matched words are wrapped in `<mark>` (the only markup; the rest "
            "is escaped). Same JSON as `seedsearch search --json`.\n\n"
            "With `group=doc` the page holds documents instead (`GroupedResult`): "
            "one entry per matching document, in the order of its best passage, "
            f"with its best {SHOWN} passages at most; `total` counts matching "
            "documents, `passages` their matching passages, and `page`/`per_page` "
            "page through documents.\n\n"
            "Filters (`in`, `type`, `year`, `lang`) may also be typed in `q` "
            "(`in:reports/2014 type:pdf year:2014..2016 lang:ru`). The values of one "
            "filter are OR-ed, different filters AND-ed. With filters and no words, "
            "every passage they allow matches.\n\n"
            "Each passage is analysed in its own language (`lang` of each result), and "
            "the query's words in every language the index holds, the alternatives "
            "OR-ed: a Russian word finds its case forms in Russian passages, an English "
            "word its English forms. Chinese, Japanese and Korean are matched as "
            "overlapping pairs of characters."
        ),
        "parameters": [
            {
                "name": "q",
                "in": "query",
                "description": "The query; see /help for the syntax. May be left "
                "out when a filter is given.",
                "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS},
            },
            {
                "name": "page",
                "in": "query",
                "description": f"Page of results; page × per_page ≤ {MAX_DEPTH}.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": "per_page",
                "in": "query",
                "description": "Results per page (`limit` is accepted as an alias).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PER_PAGE,
                    "default": 10,
                },
            },
            {
                "name": "exact",
                "in": "query",
                "description": (
                    "`1` searches the words as typed: no fallback to the spelling "
                    "correction when nothing matches (`suggestion` is still given)."
                ),
                "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
            },
            {
                "name": "group",
                "in": "query",
                "description": "`doc`: one entry per document, documents paged "
                "(`GroupedResult`); `passage`: passage by passage (`SearchResult`).",
                "schema": {"type": "string", "enum": ["passage", "doc"], "default": "passage"},
            },
            {
                "name": "sort",
                "in": "query",
                "description": "`date`: newest first, by the date the document gives "
                "itself (else its file's modification date); relevance orders passages "
                "of the same date.",
                "schema": {
                    "type": "string",
                    "enum": ["relevance", "date"],
                    "default": "relevance",
                },
            },
            _filter(
                "in",
                "Only documents in this folder or below it (a path from the top of "
                "the source folder: `reports/2014`).",
                {"type": "string", "minLength": 1},
            ),
            _filter(
                "type",
                "Only documents of this format: `txt`, `md`, `html`, `pdf`, `docx`, "
                "`epub`, `odt` (`htm` and `markdown` are accepted).",
                {"type": "string", "pattern": "^[A-Za-z0-9.]{1,17}$"},
            ),
            _filter(
                "year",
                "Only documents dated in this year (`2014`) or range of years "
                "(`2014..2016`, `2014..`, `..2016`).",
                {"type": "string", "pattern": "^(\\d{4}|\\d{4}\\.\\.(\\d{4})?|\\.\\.\\d{4})$"},
            ),
            _filter(
                "lang",
                "Only passages in this language: its ISO 639-1 code (`ru`, `de`, `zh`) "
                "or its English name (`Russian`).",
                {"type": "string", "minLength": 2, "maxLength": 20},
            ),
            {
                "name": "facets",
                "in": "query",
                "description": "`1` adds `facets`: matching documents per folder, "
                "format, year and language, each counted without its own filter.",
                "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
            },
        ],
        "responses": {
            "200": _json(
                "A page of results.",
                {
                    "oneOf": [
                        {"$ref": "#/components/schemas/SearchResult"},
                        {"$ref": "#/components/schemas/GroupedResult"},
                    ]
                },
            ),
            "400": _json("The query or a parameter is invalid; the message names it.", ERROR_REF),
            "503": _json("The index is missing or cannot be read.", ERROR_REF),
        },
    }
    return operation


def _health_path() -> dict:
    return {
        "get": {
            "operationId": "health",
            "summary": "What the server is serving",
            "responses": {
                "200": _json("The served index.", {"$ref": "#/components/schemas/Health"}),
                "503": _json("The index is missing or cannot be read.", ERROR_REF),
            },
        }
    }


def _status_path() -> dict:
    return {
        "get": {
            "operationId": "status",
            "summary": "The index, its last build, the watcher and skipped files",
            "description": (
                "Names and counts only, never a document's text. Answers 200 even when "
                "no index is served: `problem` says why. Same JSON as "
                "`seedsearch status --json`."
            ),
            "responses": {
                "200": _json("The status.", {"$ref": "#/components/schemas/Status"}),
            },
        }
    }


def _filter(name: str, description: str, schema: dict) -> dict:
    return {
        "name": name,
        "in": "query",
        "description": f"{description} Repeatable (values OR-ed), up to {MAX_VALUES} values.",
        "schema": {"type": "array", "items": schema, "maxItems": MAX_VALUES},
        "style": "form",
        "explode": True,
    }


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _object(properties: dict, description: str = "") -> dict:
    out = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        out["description"] = description
    return out


def _common() -> dict:
    return {
        "query": {"type": "string", "description": "The query as given."},
        "total": {"type": "integer", "minimum": 0, "description": "Matching passages."},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "took_ms": {"type": "number", "minimum": 0},
        "suggestion": {
            "type": ["string", "null"],
            "description": "The query with unknown words corrected, if any were.",
        },
        "corrected": {
            "type": "boolean",
            "description": "True when nothing matched `query` and the results are "
            "those of `suggestion`.",
        },
        "notes": {
            "type": "array",
            "items": {"type": "string"},
            "description": "What was searched differently from what was typed: a long "
            "query shortened to its most informative words, a wildcard narrowed.",
        },
        "dropped": {
            "type": "array",
            "items": {"type": "string"},
            "description": f"Words of a long query that were left out (the least "
            f"informative, beyond the first {MAX_TERMS}); empty when none were.",
        },
    }


def _with_facets(schema: dict) -> dict:
    """`facets` is there only when asked for (`facets=1`)."""
    schema["properties"]["facets"] = {"$ref": "#/components/schemas/Facets"}
    return schema


def _search_result() -> dict:
    return _with_facets(
        _object(
            {
                **_common(),
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            },
            "A page of passages (`group=passage`, the default).",
        )
    )


def _grouped_result() -> dict:
    return _with_facets(
        _object(
            {
                **_common(),
                "total": {"type": "integer", "minimum": 0, "description": "Matching documents."},
                "per_page": {"type": "integer", "minimum": 1, "description": "Documents."},
                "passages": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Matching passages, in all matching documents.",
                },
                "documents": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/DocumentHit"},
                },
            },
            "A page of documents (`group=doc`).",
        )
    )


def _document_hit() -> dict:
    return _object(
        {
            "doc": {"type": "string", "description": "Document id (path in the source)."},
            "title": {"type": "string"},
            "url": {"type": "string", "description": "The document at its best passage."},
            "score": {
                "type": "number",
                "description": "By relevance, its best passage and its whole text together; "
                "by date, its best passage's.",
            },
            "matches": {"type": "integer", "minimum": 1, "description": "Matching passages."},
            "folder": {"type": "string", "description": "Its folder; empty at the top."},
            "format": {"type": "string", "description": "txt, md, html, pdf ..."},
            "date": {
                "type": "string",
                "description": "YYYY-MM-DD, YYYY-MM or YYYY: the date the document "
                "gives itself, else its file's modification date.",
            },
            "pages": {"type": "integer", "minimum": 0, "description": "0 when unpaged."},
            "passages": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Hit"},
                "minItems": 1,
                "maxItems": SHOWN,
                "description": "Its best passages, best first.",
            },
            "lang": LANG | {"description": "The document's language: most of its text's."},
        },
        "One document and its best passages.",
    )


def _facets() -> dict:
    values = {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}
    return _object(
        {
            "folder": {**values, "description": "Every folder (and subfolder), by path."},
            "format": {**values, "description": "Most documents first."},
            "year": {**values, "description": "Newest first."},
            "lang": {
                **values,
                "description": "Languages (ISO 639-1), most documents first; a "
                "document counts under each language of its matching passages.",
            },
        },
        "Matching documents per value over the whole result set; each facet counted "
        "with the other filters applied but not its own. Values with no match are left "
        "out unless selected.",
    )


def _facet_value() -> dict:
    return _object(
        {
            "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 0, "description": "Matching documents."},
            "selected": {"type": "boolean", "description": "A filter in force selects it."},
        }
    )


def _hit() -> dict:
    return _object(
        {
            "id": {"type": "string", "description": "Passage id: `doc#pN`."},
            "doc": {"type": "string", "description": "Document id (path in the source)."},
            "title": {"type": "string"},
            "section": {"type": "string", "description": "Nearest heading, or empty."},
            "ordinal": {"type": "integer", "minimum": 1, "description": "N of `#pN`."},
            "score": {"type": "number"},
            "snippet": {
                "type": "string",
                "description": "Escaped HTML; matches are wrapped in `<mark>`.",
            },
            "text": {"type": "string", "description": "The whole passage, plain text."},
            "url": {"type": "string", "description": "The passage in its document."},
            "page": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "Physical page (from 1) of the first matched word (the page "
                "the passage starts on when nothing is marked), for paged formats (PDF, "
                "DOCX, ODT, EPUB chapters, images); null otherwise. "
                "`/file/{doc}#page={page}` opens a PDF there.",
            },
            "page_label": {
                "type": ["string", "null"],
                "description": 'That page\'s printed label ("82", "xii"); null when unpaged.',
            },
            "ocr": {
                "type": "boolean",
                "description": "The passage was read by OCR from a scanned page or an image: "
                "expect misread words.",
            },
            "lang": LANG
            | {
                "description": "The passage's language, detected when it was indexed "
                "(a passage too short to tell takes its document's).",
            },
        },
        "One passage.",
    )


def _health() -> dict:
    return _object(
        {
            "status": {"type": "string", "const": "ok"},
            "passages": {"type": "integer", "minimum": 0},
            "documents": {"type": "integer", "minimum": 0},
            "generation": {"type": "integer", "minimum": 1},
            "built_at": {"type": "string", "format": "date-time"},
        }
    )


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


LANG = {"type": "string", "pattern": "^[a-z]{2,3}$"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
TIME = {"type": "string", "format": "date-time"}
COUNT = {"type": "integer", "minimum": 0}


def _status() -> dict:
    counts = {"type": "array", "items": {"$ref": "#/components/schemas/Count"}}
    return _object(
        {
            "generation": {"type": ["integer", "null"], "minimum": 1},
            "built_at": NULLABLE_TIME,
            "documents": COUNT,
            "passages": COUNT,
            "problem": {
                "type": ["string", "null"],
                "description": "Why no index is served (missing, damaged, outdated).",
            },
            "building": {
                "type": "boolean",
                "description": "A build is running: the watcher's or a `seedsearch index`.",
            },
            "progress": _nullable(_progress()),
            "pending": {
                "type": "boolean",
                "description": "The watcher has seen changes not built yet.",
            },
            "watch": _nullable(_watch()),
            "last_build": _nullable(_last_build()),
            "folders": {**counts, "description": "By the folder documents are in; '' is the top."},
            "formats": {**counts, "description": "By document format."},
            "languages": {
                **counts,
                "description": "By language (ISO 639-1): documents with passages in "
                "it, and those passages.",
            },
            "skipped": {
                "type": "array",
                "items": _object({"file": {"type": "string"}, "reason": {"type": "string"}}),
                "description": "Every file the last build skipped, with the reason.",
            },
            "ocr": _nullable(_ocr()),
        }
    )


def _ocr() -> dict:
    return _object(
        {
            "enabled": {"type": "boolean", "description": "Builds read scans (no --no-ocr)."},
            "langs": {"type": "string", "description": "Tesseract languages: eng+rus."},
            "pages_read": {**COUNT, "description": "Scanned pages whose text OCR read."},
            "pages_waiting": {**COUNT, "description": "Scanned pages not read yet."},
            "files_waiting": {**COUNT, "description": "Files with pages not read yet."},
            "seconds_left": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": "Estimate at the rate measured so far; null before any page "
                "was read, or while OCR cannot run.",
            },
            "problem": {
                "type": ["string", "null"],
                "description": "Why OCR cannot run: Tesseract or a language not installed.",
            },
        },
        "Scanned pages and images, read by OCR; null when the index has none.",
    )


def _watch() -> dict:
    return _object(
        {
            "mode": {"type": "string", "enum": ["inotify", "polling", "none"]},
            "poll_seconds": {"type": ["number", "null"], "minimum": 0},
            "note": {
                "type": "string",
                "description": "Why polling though not asked for, or why not watching.",
            },
            "activity": {
                "type": "string",
                "enum": ["starting", "idle", "pending", "building", "waiting", "retrying"],
            },
            "since": TIME,
            "pending_since": NULLABLE_TIME,
            "builds": {**COUNT, "description": "Builds finished since the watcher started."},
            "error": {
                "type": ["string", "null"],
                "description": "Why the last build failed, until one succeeds.",
            },
            "failures": {**COUNT, "description": "Failed builds in a row."},
            "retry_at": NULLABLE_TIME,
        },
        "The watcher process, when one is running.",
    )


def _progress() -> dict:
    return _object(
        {
            "pid": {"type": "integer", "description": "The process holding the build lock."},
            "host": {"type": "string", "description": "The machine it runs on."},
            "started": TIME,
            "done": {**COUNT, "description": "Files read or skipped so far."},
            "total": {**COUNT, "description": "Files this build reads (0 until known)."},
            "cluster": {
                "type": "string",
                "description": "The Dask scheduler whose workers read the files; '' for "
                "a build on one machine.",
            },
            "workers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The cluster's workers, as last seen.",
            },
        },
        "The build running now.",
    )


def _last_build() -> dict:
    return _object(
        {
            "finished_at": TIME,
            "seconds": {"type": "number", "minimum": 0},
            "full": {"type": "boolean", "description": "Rebuilt from scratch, not updated."},
            "added": COUNT,
            "updated": COUNT,
            "moved": {**COUNT, "description": "Renamed or moved: same content, new path."},
            "removed": COUNT,
            "unchanged": COUNT,
            "skipped": COUNT,
            "cluster": {
                "type": "string",
                "description": "The Dask scheduler whose workers read the files; '' when "
                "they were read on the machine that built.",
            },
        },
        "What the build that wrote the served generation did.",
    )


def _count() -> dict:
    return _object({"name": {"type": "string"}, "documents": COUNT, "passages": COUNT})


def _error() -> dict:
    return _object(
        {
            "error": _object(
                {
                    "code": {"type": "string", "description": "e.g. bad_query, not_found."},
                    "message": {"type": "string", "description": "For people."},
                }
            )
        }
    )
