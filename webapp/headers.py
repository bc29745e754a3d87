"""Security headers on every response, error pages and static files included."""

from __future__ import annotations

from flask import Flask, Response

# No inline script or style anywhere: every asset is a local file.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app: Flask) -> None:
    """Add HEADERS to every response of `app`."""
    app.after_request(add_headers)


_NAMES = {name.lower(): name for name in HEADERS}


def add_headers(response: Response) -> Response:
    """HEADERS the response does not set itself (a view may set its own policy)."""
    # One pass over the few headers already there: Headers.setdefault finds each
    # missing header by raising and catching a KeyError.
    missing = _NAMES.keys() - {name.lower() for name, _ in response.headers}
    if missing:
        response.headers.extend((_NAMES[n], HEADERS[_NAMES[n]]) for n in _NAMES if n in missing)
    return response
