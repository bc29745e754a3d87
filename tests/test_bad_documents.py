"""Whatever lies in the source folder, a build ends: each file is indexed,
skipped with a warning that names it, or refused with a clear message; never
a traceback, never a hang. Builds run through the real CLI in a subprocess,
with a time limit that only guards against hangs."""

from __future__ import annotations

import io
import json
import os
import random
import re
import resource
import subprocess
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from indexer.build.run import build_index
from indexer.models import Query
from indexer.search.engine import Engine
from tests import privileges
from tests.live_server import seedsearch_command
from webapp import create_app

HANG_GUARD = 120  # seconds; a build that takes longer counts as hung


def limited(gigabytes: int = 3) -> None:
    """preexec_fn: a build that reads something endless runs out of memory, not the box."""
    resource.setrlimit(resource.RLIMIT_AS, (gigabytes << 30, gigabytes << 30))


def seedsearch(*args: str, timeout: float = HANG_GUARD, preexec=limited):
    """The real CLI; TimeoutExpired (a hang) fails the test."""
    return subprocess.run(
        seedsearch_command() + list(args),
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=timeout,
        preexec_fn=preexec,
    )


def index(source: Path, index_dir: Path, *extra: str, timeout: float = HANG_GUARD, preexec=limited):
    args = ["--source", str(source), "--index", str(index_dir), *extra]
    done = seedsearch("index", *args, timeout=timeout, preexec=preexec)
    assert "Traceback" not in done.stderr and "Aborted!" not in done.stderr, done.stderr
    return done


def warnings_of(done: subprocess.CompletedProcess) -> dict[str, str]:
    """{file: reason} from the `warning: FILE: REASON` lines of a build."""
    found = re.findall(r"^warning: (.+?): (.+)$", done.stderr, re.M)
    return dict(found)


def indexed_docs(index_dir: Path) -> set[str]:
    with Engine(index_dir) as engine:
        return {d.doc for d in engine.stats().per_document}


def hits(index_dir: Path, text: str) -> list[str]:
    with Engine(index_dir) as engine:
        return [h.doc for h in engine.search(Query(text, exact=True)).hits]


def text_doc(title: str, body: str) -> str:
    return f"{title}\n\n{body}\n"


# -- the usual suspects, in one folder ------------------------------------------------


def test_a_folder_of_bad_documents_is_indexed_with_warnings(corpus, tmp_path):
    rng = random.Random(6)
    source = corpus(
        {
            "ok.txt": text_doc("Harbour", "The ferry left the harbour at dawn."),
            "latin1.txt": text_doc("Café", "The café served crème brûlée to the crew.").encode(
                "latin-1"
            ),
            "broken-utf8.txt": b"Broken\n\nThe gannet flew \xff\xfe\x80 over \xc3\x28 the pier.\n",
            "utf16le.txt": text_doc("Hangar", "The zeppelin stood in its hangar.").encode("utf-16"),
            "utf16be.txt": b"\xfe\xff"
            + text_doc("Cliffs", "The albatross circled twice.").encode("utf-16-be"),
            "binary.txt": rng.randbytes(20_000),
            "image.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(4000),
            "empty.txt": b"",
            "blank.md": b"  \n\n \t \n",
            "bom-only.txt": b"\xef\xbb\xbf",
            "notes.csv": "not,a,document\n",  # not a document type: ignored silently
        }
    )
    (source / "loop-a.txt").symlink_to("loop-b.txt")
    (source / "loop-b.txt").symlink_to("loop-a.txt")
    (source / "dangling.md").symlink_to("nowhere.md")
    (source / "folder.txt").mkdir()  # a folder named like a document
    (source / "cycle").mkdir()
    (source / "cycle" / "up").symlink_to("..")  # a folder loop
    index_dir = tmp_path / "index"

    done = index(source, index_dir)

    assert done.returncode == 0, done.stderr
    warned = warnings_of(done)
    assert warned == {
        "binary.txt": "binary file",
        "image.md": "binary file",
        "empty.txt": "empty file",
        "blank.md": "empty file",
        "bom-only.txt": "no text to index",
        "loop-a.txt": "cannot read (Too many levels of symbolic links)",
        "loop-b.txt": "cannot read (Too many levels of symbolic links)",
        "dangling.md": "cannot read (No such file or directory)",
    }
    docs = indexed_docs(index_dir)
    assert docs == {"ok.txt", "latin1.txt", "broken-utf8.txt", "utf16le.txt", "utf16be.txt"}
    assert hits(index_dir, "crème brûlée") == ["latin1.txt"]
    assert hits(index_dir, "zeppelin") == ["utf16le.txt"]
    assert hits(index_dir, "albatross") == ["utf16be.txt"]
    assert hits(index_dir, "gannet") == ["broken-utf8.txt"]
    summary, *formats = done.stdout.strip().splitlines()
    assert summary.startswith("5 added, 0 updated, 0 removed, 0 unchanged, 8 skipped")
    assert "8 warnings" in summary
    assert formats == [
        "  md: 0 read, 3 skipped (1 binary file, 1 cannot read, 1 empty file)",
        "  txt: 5 read, 5 skipped (2 cannot read, 1 binary file, 1 empty file, 1 no text)",
    ]


def test_strict_build_refuses_the_folder_and_names_the_file(corpus, tmp_path):
    source = corpus({"ok.txt": text_doc("Harbour", "The ferry."), "binary.txt": b"\x00\x01" * 99})
    done = index(source, tmp_path / "index", "--strict")
    assert done.returncode == 1
    assert "binary.txt: binary file" in done.stderr
    assert not (tmp_path / "index" / "current").exists()


def test_utf32_with_bom_is_read_or_skipped(corpus, tmp_path):
    source = corpus(
        {"utf32.txt": text_doc("Heron", "The heron waited by the pier.").encode("utf-32")}
    )
    done = index(source, tmp_path / "index")
    assert done.returncode == 0
    if "utf32.txt" not in warnings_of(done):
        assert hits(tmp_path / "index", "heron") == ["utf32.txt"]


def test_control_characters_of_a_document_never_reach_the_terminal(corpus, tmp_path):
    payload = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x1b[0m \x08\x08\x9b31m"
    source = corpus({"ctrl.txt": text_doc("Controls", f"The ferry {payload} left at dawn.")})
    assert index(source, tmp_path / "index").returncode == 0
    done = seedsearch("search", "ferry", "--index", str(tmp_path / "index"))
    assert done.returncode == 0 and "ctrl.txt#p1" in done.stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", done.stdout.replace("\x1b[1m", ""))


# -- names, links and special files ------------------------------------------------------


@pytest.mark.parametrize("full", [True, False], ids=["full", "update"])
def test_a_file_name_that_is_not_utf8_is_skipped_with_a_warning(corpus, tmp_path, full):
    source = corpus({"ok.txt": text_doc("Harbour", "The ferry left the harbour at dawn.")})
    index_dir = tmp_path / "index"
    if not full:
        assert index(source, index_dir).returncode == 0
    with open(os.path.join(os.fsencode(source), b"caf\xe9.txt"), "wb") as fh:
        fh.write(text_doc("Cafe", "The cafe served tea to the crew.").encode())
    done = index(source, index_dir, *(["--full"] if full else []))
    assert done.returncode == 0, done.stderr
    assert "caf" in done.stderr and "warning:" in done.stderr
    assert indexed_docs(index_dir) == {"ok.txt"}


def named_pipe(source: Path) -> None:
    os.mkfifo(source / "pipe.txt")


def endless_device(source: Path) -> None:
    (source / "zero.txt").symlink_to("/dev/zero")


@pytest.mark.parametrize("make", [named_pipe, endless_device], ids=["fifo", "dev-zero"])
def test_special_files_are_skipped_not_read_forever(corpus, tmp_path, make):
    source = corpus({"ok.txt": text_doc("Harbour", "The ferry left the harbour at dawn.")})
    make(source)
    try:
        done = index(source, tmp_path / "index", timeout=10, preexec=lambda: limited(1))
    except subprocess.TimeoutExpired:
        pytest.fail("the build hung on a special file")
    assert done.returncode == 0, done.stderr
    assert len(warnings_of(done)) == 1
    assert indexed_docs(tmp_path / "index") == {"ok.txt"}


def without_root_powers() -> None:
    """preexec_fn: obey file modes as any user would (we run as root), within limits."""
    limited()
    privileges.without_root_powers()


def test_an_unreadable_file_is_skipped_with_a_warning(corpus, tmp_path):
    source = corpus(
        {
            "ok.txt": text_doc("Harbour", "The ferry left the harbour at dawn."),
            "secret.txt": text_doc("Secret", "The cormorant dived."),
        }
    )
    (source / "secret.txt").chmod(0)
    args = ["index", "--source", str(source), "--index", str(tmp_path / "index")]
    done = seedsearch(*args, preexec=without_root_powers)
    assert done.returncode == 0, done.stderr
    assert warnings_of(done) == {"secret.txt": "cannot read (Permission denied)"}


def test_an_unlistable_folder_is_skipped_with_a_warning(corpus, tmp_path):
    source = corpus(
        {
            "ok.txt": text_doc("Harbour", "The ferry left the harbour at dawn."),
            "private/notes.txt": text_doc("Private", "The cormorant dived."),
        }
    )
    (source / "private").chmod(0)
    try:
        args = ["index", "--source", str(source), "--index", str(tmp_path / "index")]
        done = seedsearch(*args, preexec=without_root_powers)
    finally:
        (source / "private").chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "private" in done.stderr and "warning:" in done.stderr


def test_deeply_nested_folders_are_indexed_and_served(corpus, tmp_path):
    deep = "/".join(f"level{n:02d}" for n in range(120)) + "/bottom.md"
    source = corpus({deep: "# Bottom\n\nThe lantern at the very bottom of the well."})
    index_dir = tmp_path / "index"
    assert index(source, index_dir).returncode == 0
    assert hits(index_dir, "lantern") == [deep]
    app = create_app({"INDEX": str(index_dir), "TESTING": True})
    client = app.test_client()
    [hit] = client.get("/api/search?q=lantern").get_json()["results"]
    response = client.get(hit["url"])
    assert response.status_code == 200 and b"<mark>lantern</mark>" in response.data
    app.extensions["seedsearch"].close()


def test_ten_thousand_tiny_files(tmp_path):
    source = tmp_path / "source"
    for n in range(10_000):
        folder = source / f"batch{n // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note{n:05d}.txt").write_text(f"Note {n}: the tally word is tok{n}.", "utf-8")
    index_dir = tmp_path / "index"
    done = index(source, index_dir, "--full")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("10000 added") and "10000 passages" in done.stdout
    assert hits(index_dir, "tok9999") == ["batch19/note09999.txt"]
    assert hits(index_dir, "tok0") == ["batch00/note00000.txt"]
    (source / "batch07" / "note03500.txt").write_text("Note 3500, rewritten: a heron.", "utf-8")
    done = index(source, index_dir)
    assert done.stdout.startswith("0 added, 1 updated, 0 removed, 9999 unchanged")
    assert hits(index_dir, "heron") == ["batch07/note03500.txt"]


@pytest.mark.parametrize("procs", [1, 2], ids=["serial", "parallel"])
def test_files_deleted_while_the_build_reads_the_folder(tmp_path, procs):
    source = tmp_path / "source"
    names = [f"part{n % 3}/doc{n:03d}.txt" for n in range(120)]
    for name in names:
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Doc {name}\n\nA paragraph of doc {name} about the harbour.", "utf-8")
    rng = random.Random(procs)
    doomed = set(rng.sample(names[20:], 40))
    deleted: set[str] = set()

    def progress(done: int, total: int) -> None:
        # The build has listed every file and is reading them: delete some under it.
        for name in sorted(doomed - deleted):
            (source / name).unlink()
            deleted.add(name)
        if done > 60 and (source / "part2").exists():
            for path in (source / "part2").iterdir():
                path.unlink()
                deleted.add(path.relative_to(source).as_posix())
            (source / "part2").rmdir()

    report = build_index(source, tmp_path / "index", full=True, procs=procs, progress=progress)

    skipped = {w.split(":")[0] for w in report.warnings}
    assert all(w.endswith("cannot read (No such file or directory)") for w in report.warnings)
    indexed = indexed_docs(tmp_path / "index")
    assert indexed | skipped == set(names) and not indexed & skipped
    assert skipped <= deleted and report.added == len(indexed)
    if procs == 1:  # one reader, files in order: everything deleted after the first is skipped
        assert skipped == deleted - {names[0]}


# -- size ----------------------------------------------------------------------------------


def test_a_fifty_megabyte_single_line_is_refused_or_indexed_without_hanging(corpus, tmp_path):
    rng = random.Random(50)
    words = ["".join(rng.choices("abcdefghij", k=rng.randint(2, 9))) for _ in range(5000)]
    chunk = " ".join(rng.choices(words, k=100_000)) + " "
    line = (chunk * (50_000_000 // len(chunk) + 1))[:50_000_000]
    source = corpus({"ok.txt": text_doc("Harbour", "The ferry left the harbour at dawn.")})
    (source / "huge.txt").write_text(line, "ascii")
    try:
        done = index(source, tmp_path / "index", timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("a 50 MB file kept the build busy for more than 15 s")
    assert done.returncode == 0, done.stderr
    if "huge.txt" in warnings_of(done):
        assert "MB" in warnings_of(done)["huge.txt"]  # says why: its size
        assert indexed_docs(tmp_path / "index") == {"ok.txt"}


def blob(n: int, seed: int = 2) -> str:
    rng = random.Random(seed)
    return "".join(
        rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", k=n)
    )


def test_a_long_line_without_spaces_is_not_one_giant_passage(corpus, tmp_path):
    source = corpus(
        {
            "blob.txt": text_doc("Blob", "data:" + blob(2_000_000)),
            "mixed.md": "# Mixed\n\nThe heron waited by the pier.\n\n" + blob(5000) + "\n",
        }
    )
    done = index(source, tmp_path / "index")
    assert done.returncode == 0
    assert warnings_of(done) == {
        "blob.txt": "no prose found: one 2,000,005-character line without spaces "
        "(base64 or other data?)",
        "mixed.md": "1 paragraph of data (no spaces: base64, minified code ...) left out",
    }
    with Engine(tmp_path / "index") as engine:
        assert [p.html for p in engine.document("mixed.md").passages] == [
            "The heron waited by the pier."
        ]
        assert engine.stats().terms < 20  # no 2-million-character term


def test_a_file_of_data_alone_is_named_not_silently_dropped(corpus, tmp_path):
    """The new user's folder: an essay and a 2 MB line of base64 with no title."""
    source = corpus({"essay.txt": text_doc("Harbour", "The ferry left the harbour at dawn.")})
    (source / "blob.txt").write_text(blob(2_000_000), "ascii")
    done = index(source, tmp_path / "index")
    assert done.returncode == 0, done.stderr
    assert warnings_of(done) == {
        "blob.txt": "no prose found: one 2,000,000-character line without spaces "
        "(base64 or other data?)"
    }
    assert done.stdout.startswith("1 added, 0 updated, 0 removed, 0 unchanged, 1 skipped")
    assert indexed_docs(tmp_path / "index") == {"essay.txt"}
    stats = json.loads(seedsearch("stats", "--json", "--index", str(tmp_path / "index")).stdout)
    assert stats["skipped"] == {"blob.txt": f"blob.txt: {warnings_of(done)['blob.txt']}"}
    assert index(source, tmp_path / "index2", "--strict").returncode == 1


def test_prose_without_spaces_is_cut_into_passages_by_characters(corpus, tmp_path):
    rng = random.Random(3)
    # Japanese has no spaces between words: prose, cut by characters, not dropped.
    sentence = "".join(rng.choices("あいうえおかきくけこさしすせそたちつてと", k=40)) + "。"
    source = corpus({"nihon.txt": text_doc("Nihon", sentence * 500)})
    done = index(source, tmp_path / "index")
    assert done.returncode == 0 and warnings_of(done) == {}
    with Engine(tmp_path / "index") as engine:
        view = engine.document("nihon.txt")
    texts = [p.html for p in view.passages]
    assert len(texts) > 10 and max(len(t) for t in texts) <= 2000
    assert "".join(texts) == sentence * 500  # nothing lost at the cuts
    assert all(t.endswith("。") for t in texts)  # cut after a sentence


# -- markup in documents -----------------------------------------------------------------

HOSTILE_HTML = """<!doctype html><html><head><title>Harbour page</title>
<script>alert('scriptword')</script><style>body{background:url(javascript:alert(1))}</style>
</head><body onload="alert('bodyload')">
<h1>Harbour <img src=x onerror="alert('imgerror')">log</h1>
<p>The pilot wrote &lt;script&gt;alert(2)&lt;/script&gt; in the harbour log.</p>
<p>A link <a href="javascript:alert('linkword')">to the quay</a> and
<svg onload="alert('svgword')"><text>svgtext</text></svg> an inline picture.</p>
<iframe src="javascript:alert('framed')">framedword</iframe>
<p onclick="alert('clickword')">The pier was <b>quiet</b> at
&lt;img src=x onerror=alert(3)&gt; dusk.</p>
<noscript>noscriptword</noscript><template><p>templateword</p></template>
</body></html>"""


def test_html_payloads_are_indexed_as_text_and_served_as_text(corpus, tmp_path):
    source = corpus({"harbour.html": HOSTILE_HTML})
    index_dir = tmp_path / "index"
    assert index(source, index_dir).returncode == 0
    # Script, style, attributes and hidden elements are not prose.
    for word in ("scriptword", "bodyload", "imgerror", "linkword", "svgword", "framedword"):
        assert hits(index_dir, word) == [], word
    assert hits(index_dir, "clickword") == [] and hits(index_dir, "templateword") == []
    with Engine(index_dir) as engine:
        texts = [h.text for h in engine.search(Query("pilot pier", per_page=10)).hits]
    # What the page shows as text stays text, character for character.
    assert any("<script>alert(2)</script>" in t for t in texts)
    assert any("<img src=x onerror=alert(3)>" in t for t in texts)
    app = create_app({"INDEX": str(index_dir), "TESTING": True})
    client = app.test_client()
    for url in ("/?q=pilot+pier+alert", "/doc/harbour.html?q=alert+script", "/api/search?q=alert"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        if url.startswith("/api/"):
            for result in json.loads(body)["results"]:
                assert re.sub(r"</?mark>", "", result["snippet"]).count("<") == 0
            continue
        page = BeautifulSoup(body, "html.parser")
        assert [s.get("src") for s in page.find_all("script")] == ["/static/search.js"]
        assert page.find_all(["img", "svg", "iframe", "noscript", "template", "b"]) == []
        for tag in page.find_all(True):
            assert not [a for a in tag.attrs if a.lower().startswith("on")], tag
            assert not tag.get("href", "").lower().startswith("javascript:"), tag
        if url.startswith("/doc/"):  # the reader sees the document's text as text
            assert "<script>alert(2)</script>" in page.get_text()
    app.extensions["seedsearch"].close()


def test_a_file_its_parser_fails_on_is_skipped_and_named(corpus, tmp_path):
    # A DOCX whose document.xml stops mid-tag: the XML parser's own error, not one
    # of ours, must skip that file alone, with the error named.
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", DOCX_TYPES)
        z.writestr("_rels/.rels", DOCX_RELS)
        z.writestr("word/document.xml", f"<w:document xmlns:w='{W}'><w:body><w:p><w:r><w:t>cut")
    source = corpus(
        {"ok.txt": text_doc("Fine", "A heron by the lock."), "cut.docx": broken.getvalue()}
    )
    # A full build (worker processes, where there are several cores), then an update.
    for change in ("", "A heron by the lock again."):
        if change:
            (source / "ok.txt").write_text(text_doc("Fine", change), "utf-8")
        done = index(source, tmp_path / "index", *([] if change else ["--full"]))
        assert done.returncode == 0, done.stderr
        assert warnings_of(done)["cut.docx"].startswith("could not be read (XMLSyntaxError")
        assert indexed_docs(tmp_path / "index") == {"ok.txt"}


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_TYPES = (
    "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'>"
    "<Override PartName='/word/document.xml' ContentType='application/"
    "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'/></Types>"
)
DOCX_RELS = (
    "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/relationships'>"
    "<Relationship Id='rId1' Type='http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships/officeDocument' Target='word/document.xml'/></Relationships>"
)
