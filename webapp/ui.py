"""The pages people read: search, help, a document in context, OpenSearch."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for

from indexer.errors import BadQuery
from indexer.formats import BY_NAME, format_of, mimetype_of
from indexer.formats import label as format_label
from indexer.models import DOCUMENT_PATH

from .engine import engine, examples
from .params import exact_requested, filters_given, query_from_args, query_text
from .refine import Refinement, facets_view
from .results import results_view

bp = Blueprint("ui", __name__)
bp.add_app_template_global(format_label, "format_name")
KEPT = ("in", "type", "year", "sort", "group")  # refinements links on a results page keep


@bp.app_template_global()
def search_url(text: str, **extra) -> str:
    """The search page's address for `text`, keeping the page's filters, order and layout."""
    kept = {name: request.args.getlist(name) for name in KEPT if name in request.args}
    return url_for("ui.search", **{**kept, "q": text, **extra})


@bp.get("/")
def search():
    """The landing page without a query; a page of results with one (or with filters)."""
    text = query_text(request.args)
    if not text and not filters_given(request.args):
        return landing()
    config = current_app.config
    query = query_from_args(
        request.args,
        per_page=config["PER_PAGE"],
        per_doc=config["PER_DOC"],
        group="doc",
        facets=True,
    )
    result = engine().search(query)
    view = results_view(result)
    if result.documents is not None and result.total == 1:
        # One matching document: its passages listed, paged as passages.
        found = result.documents or engine().search(replace(query, page=1)).documents
        flat = replace(query, by_document=False, per_doc=None, facets=False)
        view = results_view(replace(engine().search(flat), facets=result.facets), found[0])
    refinement = Refinement.of(query)
    return render_template(
        "results.html",
        q=text,
        view=view,
        refinement=refinement,
        facets=facets_view(result.facets, refinement),
        exact=exact_requested(request.args),
        autofocus=True,
    )


def landing() -> str:
    """The corpus, example queries that work on it, and the query syntax."""
    health = engine().health()
    return render_template(
        "landing.html",
        q="",
        health=health,
        examples=examples(health.generation),
        autofocus=True,
    )


@bp.get("/help")
def help_page():
    """The query syntax."""
    return render_template("help.html", q=query_text(request.args))


@bp.get(DOCUMENT_PATH + "<path:doc>")
def document(doc: str):
    """A whole document as its passages; with ?q= every match is marked."""
    text = query_text(request.args)
    problem = None
    try:
        view = engine().document(doc, text)
    except BadQuery as exc:
        # A query that cannot be parsed should not hide the document.
        problem = exc.message
        view = engine().document(doc)
    return render_template("document.html", q=text, view=view, problem=problem)


# What the original file is served as (indexer/formats.py): PDFs and plain text open
# in the browser, everything else (HTML among them) is a download; so is an unknown type.
UNKNOWN = "application/octet-stream"


# Chrome shows a PDF through an <embed> with inline styles: the site's policy
# (object-src 'none', default-src 'self') would block it (crbug.com/271452).
PDF_POLICY = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@bp.app_template_global()
def file_url(doc: str, page: int | None = None) -> str:
    """The original file of `doc`; a PDF opens at `page`."""
    url = url_for("ui.source_file", doc=doc)
    if page and format_of(doc) == "pdf":
        url += f"#page={page}"
    return url


@bp.get("/file/<path:doc>")
def source_file(doc: str):
    """The original file of an indexed document, from the indexed folder only."""
    path = engine().source_file(doc)
    known = BY_NAME.get(format_of(doc))
    mimetype = mimetype_of(doc) or UNKNOWN
    download = not known.inline if known else True
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=download,
        download_name=path.name,
        conditional=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-cache"
    if not download and mimetype == "application/pdf":
        response.headers["Content-Security-Policy"] = PDF_POLICY
    return response


@bp.get("/opensearch.xml")
def opensearch():
    """Lets browsers add the site as a search engine."""
    body = render_template("opensearch.xml", root=request.host_url.rstrip("/"))
    return Response(body, mimetype="application/opensearchdescription+xml")
