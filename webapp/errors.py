"""One error handler for the whole app: JSON under /api/ (and /healthz), the
site's error page everywhere else. No request ends in a traceback."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import SeedsearchError

TITLES = {
    400: "That query cannot be run",
    404: "Not found",
    405: "Method not allowed",
    503: "The index is not available",
}
MESSAGES = {
    404: "There is no page at this address.",
    405: "This address only answers GET requests.",
    500: "Something went wrong on our side; the error has been logged.",
}


def register_error_handlers(app: Flask) -> None:
    """Route every seedsearch error and HTTP error through `_respond`."""
    app.register_error_handler(SeedsearchError, _seedsearch_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(UnicodeDecodeError, _not_utf8)


JSON_PATHS = ("/api/", "/healthz")


def wants_json() -> bool:
    """API clients get JSON errors; people get the error page."""
    # The path decides even when no route matched (404, 405).
    return request.blueprint == "api" or request.path.startswith(JSON_PATHS)


def _seedsearch_error(exc: SeedsearchError) -> Response:
    return _respond(exc.status, exc.code, exc.message)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    response = _respond(status, code, MESSAGES.get(status, exc.description or ""))
    # Keep what the protocol needs, such as the Allow header of a 405.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _not_utf8(exc: UnicodeDecodeError) -> Response:
    # Gunicorn refuses such requests first; other WSGI servers pass them on.
    return _respond(400, "bad_request", "The address is not valid UTF-8.")


def _respond(status: int, code: str, message: str) -> Response:
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        page = render_template(
            "error.html",
            status=status,
            title=TITLES.get(status, "Something went wrong"),
            message=message,
            q=_typed_query(),
        )
        response = Response(page, mimetype="text/html")
    response.status_code = status
    if status >= 500:
        response.headers["Cache-Control"] = "no-store"
    return response


def _typed_query() -> str:
    try:
        return request.args.get("q", "")
    except UnicodeDecodeError:
        return ""
