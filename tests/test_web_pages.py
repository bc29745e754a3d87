"""Pages in the web app: a result names its page and links to the original file
at that page; the document view marks where pages begin; /file serves indexed
files from the source folder only, with a safe type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from indexer.build.run import build_index
from indexer.cli import cli
from tests.makers.pdf import make_pdf
from tests.test_formats import FIXTURES, manual_pdf
from tests.test_web_api import check, response_schema
from webapp import create_app


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    source = tmp_path_factory.mktemp("pages-source")
    (source / "manual.pdf").write_bytes(manual_pdf())
    (source / "notes.txt").write_text("Notes\n\nThe heron waited by the pier.", "utf-8")
    (source / "page.html").write_text(
        "<h1>Hostile</h1><p>The gannet dived.</p><script>alert(1)</script>", "utf-8"
    )
    (source / "sealed.pdf").write_bytes((FIXTURES / "encrypted.pdf").read_bytes())
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("Secret\n\nThe cormorant knows the password.", "utf-8")
    (source / "leak.txt").symlink_to(outside)
    index = tmp_path_factory.mktemp("pages-index")
    build_index(source, index, full=True, procs=1)
    return source, index


@pytest.fixture(scope="module")
def client(site):
    app = create_app({"INDEX": str(site[1]), "TESTING": True})
    yield app.test_client()
    app.extensions["seedsearch"].close()


def fetch(client, path: str, **kwargs):
    """A response read whole and closed (a served file is streamed from disk)."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def test_api_results_carry_page_and_label(client):
    body = client.get("/api/search?q=cavitating").get_json()
    [hit] = body["results"]
    assert (hit["doc"], hit["page"], hit["page_label"]) == ("manual.pdf", 4, "3")
    spec = client.get("/api/openapi.json").get_json()
    check(spec, response_schema(spec, "/api/search", 200), body)
    [unpaged] = client.get("/api/search?q=heron").get_json()["results"]
    assert (unpaged["page"], unpaged["page_label"]) == (None, None)


def test_result_line_shows_the_page_and_opens_the_pdf_there(client):
    page = BeautifulSoup(client.get("/?q=cavitating").get_data(as_text=True), "html.parser")
    link = page.select_one(".where a.page")  # grouped or not
    assert link.get_text() == "p. 3"
    assert link["href"] == "/file/manual.pdf#page=4"
    page = BeautifulSoup(client.get("/?q=heron").get_data(as_text=True), "html.parser")
    assert page.select(".where a.page") == []


def test_document_view_marks_where_each_page_begins(client):
    html = client.get("/doc/manual.pdf?q=pump").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    markers = [(m["id"], m.get_text(strip=True)) for m in page.select(".page-marker")]
    assert markers == [("page1", "p. i"), ("page2", "p. 1"), ("page3", "p. 2"), ("page4", "p. 3")]
    # Each marker comes right before the first passage of its page.
    first = {
        m["id"]: m.find_next_sibling(class_="passage").get_text(" ", strip=True)
        for m in page.select(".page-marker")
    }
    assert "Installation" in first["page2"] and "priming" in first["page3"]
    assert "Faults" in first["page4"]
    assert page.select_one(".page-marker a")["href"] == "/file/manual.pdf#page=1"


def test_the_original_pdf_is_served_inline(client, site):
    response = fetch(client, "/file/manual.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "inline; filename=manual.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Chrome's PDF viewer needs <embed> and inline styles; framing stays forbidden.
    policy = response.headers["Content-Security-Policy"]
    assert "object-src" not in policy and "default-src" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.data == (site[0] / "manual.pdf").read_bytes()


def test_html_is_a_download_and_text_is_plain(client):
    html = fetch(client, "/file/page.html")
    assert html.status_code == 200
    assert html.headers["Content-Disposition"] == "attachment; filename=page.html"
    text = fetch(client, "/file/notes.txt")
    assert text.mimetype == "text/plain" and text.headers["Content-Disposition"].startswith(
        "inline"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/file/missing.pdf",  # not in the folder
        "/file/sealed.pdf",  # in the folder, but skipped: not indexed
        "/file/../../etc/passwd",
        "/file/%2e%2e/%2e%2e/etc/passwd",
        "/file//etc/passwd",
        "/file/leak.txt",  # indexed through a link that leads out of the folder
    ],
)
def test_only_indexed_files_inside_the_folder_are_served(client, path):
    response = fetch(client, path, follow_redirects=True)
    assert response.status_code == 404
    assert b"password" not in response.data and b"root:" not in response.data


def test_cli_result_names_the_page(runner, site):
    result = runner.invoke(cli, ["search", "cavitating", "--index", str(site[1])])
    assert result.exit_code == 0, result.output
    assert re.search(r"manual\.pdf#p\d+  \[ACME Pump Manual — p\. 3\]", result.output)


def test_scan_only_pdf_is_not_served_either(client, site, tmp_path):
    (site[0] / "scan.pdf").write_bytes(make_pdf([[]]))
    assert client.get("/file/scan.pdf").status_code == 404
