"""The errors seedsearch reports to people; anything else is a bug."""

from __future__ import annotations


class SeedsearchError(Exception):
    """A problem with a clear message and an HTTP status for the web app."""

    status = 500
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadQuery(SeedsearchError):
    status = 400
    code = "bad_query"


class IndexMissing(SeedsearchError):
    status = 503
    code = "index_missing"


class IndexBroken(SeedsearchError):
    """The index exists but cannot be read: corrupt, outdated or unreadable."""

    status = 503
    code = "index_broken"


class BuildError(SeedsearchError):
    """A build that could not run or finish; the served index is untouched."""

    code = "build_failed"


class BuildLocked(BuildError):
    code = "build_locked"


class DocumentNotFound(SeedsearchError):
    status = 404
    code = "not_found"
