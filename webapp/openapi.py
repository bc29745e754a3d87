"""The OpenAPI 3.1 description of the JSON API, built from the same limits the
engine enforces."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from indexer.query import MAX_QUERY_CHARS, MAX_TERMS
from indexer.search import MAX_DEPTH, MAX_PER_PAGE

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
        "paths": {"/api/search": _search_path(), "/healthz": _health_path()},
        "components": {
            "schemas": {
                "SearchResult": _search_result(),
                "Hit": _hit(),
                "Health": _health(),
                "Error": _error(),
            }
        },
    }


def _version() -> str:
    try:
        return version("seedsearch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


def _search_path() -> dict:
    return {
        "get": {
            "operationId": "search",
            "summary": "Search passages",
            "description": (
                "One page of passages matching `q`, best first, each with a snippet "
                "whose matched words are wrapped in `<mark>` (the only markup; the rest "
                "is escaped). Same JSON as `seedsearch search --json`."
            ),
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "description": "The query; see /help for the syntax.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
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
            ],
            "responses": {
                "200": _json("A page of results.", {"$ref": "#/components/schemas/SearchResult"}),
                "400": _json("The query or a parameter is invalid.", ERROR_REF),
                "503": _json("The index is missing or cannot be read.", ERROR_REF),
            },
        }
    }


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


def _search_result() -> dict:
    return _object(
        {
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
                "description": "Words of a long query that were left out (the least "
                "informative, beyond the first MAX words); empty when none were.".replace(
                    "MAX", str(MAX_TERMS)
                ),
            },
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
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
