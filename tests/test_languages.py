"""Every language the archive holds, on real text no one here wrote: Debian's
installation guide in Russian, German, French, Spanish, Chinese, Japanese and
English (tests/corpora.py fetches it), plus a Russian report with an English
summary made of the guide's own paragraphs. Case forms and plurals are found,
CJK words inside sentences, the Language facet and lang: filter work, highlights
mark exactly what matched in every script, and English stems as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexer.analysis import fold, index_terms, stem
from indexer.build.run import build_index
from indexer.errors import BadQuery
from indexer.index import generations
from indexer.index.meta import read_meta
from indexer.index.status import collect
from indexer.models import Filters, Query
from indexer.search.engine import Engine
from tests import corpora

LANGS = ("en", "ru", "de", "fr", "es", "zh", "ja")
MARK = re.compile(r"<mark>(.*?)</mark>")


@pytest.fixture(scope="module")
def guide_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's first three pages in seven languages, and a mixed document."""
    source = corpora.copy_guide(tmp_path_factory.mktemp("guide"), LANGS)
    russian = _paragraphs(source / "ru" / "ch01s01.html")
    english = _paragraphs(source / "en" / "ch01s02.html")
    # A Russian report with an English summary: its paragraphs, as a text file.
    (source / "mixed").mkdir()
    text = "\n\n".join([russian[0], english[1], *russian[1:4]])
    (source / "mixed" / "report.txt").write_text(text, "utf-8")
    return source


def _paragraphs(page: Path) -> list[str]:
    """The prose paragraphs of a guide page, as plain text."""
    html = page.read_text("utf-8")
    found = re.findall(r"<p>(.*?)</p>", html, re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", p).split()) for p in found]
    return [t for t in texts if len(t) > 150]


@pytest.fixture(scope="module")
def guide_index(guide_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("guide-index")
    build_index(guide_source, root, full=True)
    return root


@pytest.fixture(scope="module")
def engine(guide_index: Path) -> Engine:
    with Engine(guide_index) as found:
        yield found


def _marked(snippet: str) -> list[str]:
    return MARK.findall(snippet)


def _all_marked(result) -> list[str]:
    return [m for hit in result.hits for m in _marked(hit.snippet)]


@pytest.mark.parametrize(
    ("lang", "query", "other_forms"),
    [
        # Nominative singular, which the pages never use, finds the plural's cases.
        ("ru", "разработчик", {"разработчиков", "разработчики", "разработчиками"}),
        ("ru", "философия", {"философии", "философию"}),
        ("de", "Betriebssystem", {"Betriebssysteme", "Betriebssystems", "Betriebssystemen"}),
        ("de", "Benutzer", {"Benutzern"}),
        ("fr", "logiciel", {"logiciels", "logicielle", "logicielles"}),
        ("fr", "developpeur", {"développeurs"}),  # accents folded for matching
        ("es", "desarrollador", {"desarrolladores"}),
        ("es", "paquete", {"paquetes"}),
    ],
)
def test_a_word_finds_its_other_forms_in_its_language(engine, lang, query, other_forms):
    result = engine.search(Query(query, per_page=50, filters=Filters(langs=(lang,))))
    marked = {m for m in _all_marked(result)}
    assert marked & other_forms, (query, marked)
    assert all(h.lang == lang for h in result.hits)


def test_the_english_analysis_cannot_find_them():
    # What every word went through before: the English stemmer leaves a Russian
    # genitive plural alone, so it never met its nominative.
    assert stem(fold("разработчиков")) != stem(fold("разработчики"))
    assert index_terms("разработчиков", "ru")[0] == index_terms("разработчики", "ru")[0]


@pytest.mark.parametrize(
    ("lang", "word"),
    [("zh", "软件"), ("zh", "自由"), ("ja", "ソフトウェア"), ("ja", "オペレーティングシステム")],
)
def test_a_cjk_word_inside_a_sentence_is_found_and_marked_exactly(engine, lang, word):
    result = engine.search(Query(word, per_page=20))
    assert result.total > 0
    hits = [h for h in result.hits if h.lang == lang]
    assert hits
    for hit in hits:
        assert set(_marked(hit.snippet)) == {word}, hit.snippet
        # Inside a run of characters: the word has neighbours that are not spaces.
    inside = [h for h in hits if re.search(rf"\w{word}|{word}\w", h.text)]
    assert inside


def test_a_single_cjk_character_finds_something(engine):
    result = engine.search(Query("件", per_page=5))
    assert result.total > 0
    assert all(set(_marked(h.snippet)) == {"件"} for h in result.hits)


def test_a_cjk_query_is_a_phrase_of_its_bigrams(engine):
    # 软件 and 自由 are both common, but as 自由软件 only where they stand together.
    together = engine.search(Query("自由软件", per_page=50))
    assert together.total > 0
    for hit in together.hits:
        assert "自由软件" in hit.text
        assert set(_marked(hit.snippet)) == {"自由软件"}


def test_highlights_in_every_script_mark_what_was_written(engine):
    cases = {
        "ru": ("философия", "философии"),
        "de": ("Programm", "Programme"),
        "fr": ("paquet", "paquets"),
        "es": ("sistema", "sistemas"),
        "en": ("developer", "developers"),
    }
    for lang, (query, written) in cases.items():
        result = engine.search(Query(query, per_page=50, filters=Filters(langs=(lang,))))
        marked = _all_marked(result)
        assert written in marked, (lang, marked)
        assert all(fold(m) in {fold(query), fold(written)} or m for m in marked)


def test_the_language_facet_counts_documents_per_language(engine):
    result = engine.search(Query("Debian", facets=True))
    counts = {v.value: v.count for v in result.facets.lang}
    for lang in LANGS:
        assert counts[lang] >= 3, counts  # three pages each
    assert counts["ru"] == 4  # and the mixed report, Russian for the most part


def test_lang_filter_typed_or_given(engine):
    typed = engine.search(Query("Debian lang:de", per_page=100))
    given = engine.search(Query("Debian", per_page=100, filters=Filters(langs=("de",))))
    by_name = engine.search(Query("Debian lang:German", per_page=100))
    assert typed.total == given.total == by_name.total > 0
    assert {h.lang for h in typed.hits} == {"de"}
    with pytest.raises(BadQuery, match="lang:"):
        engine.search(Query("Debian lang:xx"))


def test_a_mixed_document_has_the_right_language_per_passage(engine, guide_index):
    view = engine.document("mixed/report.txt")
    langs = [p.lang for p in view.passages]
    assert langs == ["ru", "en", "ru", "ru", "ru"]  # the English summary second
    # English words in it stem as English, Russian ones as Russian.
    english = engine.search(Query("systems in:mixed", per_page=5))
    assert any(h.lang == "en" and "system" in _marked(h.snippet) for h in english.hits)
    russian = engine.search(Query("разработчик in:mixed", per_page=5))
    marked = {m.lower() for h in russian.hits if h.lang == "ru" for m in _marked(h.snippet)}
    assert marked >= {"разработчики", "разработчиков"}
    _gen, meta = generations.locate(guide_index)
    assert meta.documents["mixed/report.txt"].lang == "ru"
    assert meta.documents["mixed/report.txt"].languages["en"] == 1


def test_english_queries_stem_as_english_among_other_languages(engine):
    result = engine.search(Query("developers", per_page=50, filters=Filters(langs=("en",))))
    assert "developing" in {m.lower() for m in _all_marked(result)} or "developed" in {
        m.lower() for m in _all_marked(result)
    }


def test_phrases_prefixes_and_exclusions_in_other_languages(engine):
    phrase = engine.search(Query('"свободного программного обеспечения"', per_page=20))
    assert phrase.total > 0
    assert all(h.lang == "ru" for h in phrase.hits)
    prefix = engine.search(Query("Betriebssys*", per_page=20))
    assert any(h.lang == "de" for h in prefix.hits)
    excluded = engine.search(Query("Debian -разработчиков lang:ru", per_page=100))
    assert excluded.total > 0
    assert not any("разработчик" in h.text.lower() for h in excluded.hits)
    titled = engine.search(Query("title:Linux lang:fr", per_page=5))
    assert titled.total > 0


def test_spelling_suggestions_come_from_the_querys_language(engine):
    # Known in Russian: no English "Did you mean" for a correct Russian word.
    assert engine.search(Query("разработчиков")).suggestion is None
    misspelt = engine.search(Query("разроботчиков"))
    assert misspelt.suggestion is not None
    assert re.fullmatch(r"[а-яё]+", misspelt.suggestion.lower()), misspelt.suggestion


def test_json_and_status_carry_languages(engine, guide_index):
    result = engine.search(Query("Debian", facets=True))
    out = json.loads(json.dumps(result.to_json()))
    assert {r["lang"] for r in out["results"]} <= set(LANGS)
    assert {v["value"] for v in out["facets"]["lang"]} >= set(LANGS)
    status = collect(guide_index)
    by_lang = {c.name: c for c in status.languages}
    assert set(LANGS) <= set(by_lang)
    assert by_lang["ru"].documents == 4
    assert sum(c.passages for c in status.languages) == status.passages


def test_an_index_analysed_before_languages_asks_for_a_full_rebuild(guide_index, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(guide_index, old, symlinks=True)
    gen = generations.current_dir(old)
    raw = json.loads((gen / "seedsearch.json").read_text("utf-8"))
    raw["analyzer"] = 2
    (gen / "seedsearch.json").write_text(json.dumps(raw), "utf-8")
    assert read_meta(gen).analyzer == 2
    with pytest.raises(Exception, match=r"analyzer version 2.*seedsearch index --full"):
        Engine(old).search(Query("Debian"))


# -- the page, the API and the command line --------------------------------------


@pytest.fixture(scope="module")
def client(guide_index: Path):
    from webapp import create_app

    return create_app({"INDEX": str(guide_index), "TESTING": True}).test_client()


def test_the_page_shows_and_toggles_the_language_facet(client):
    page = client.get("/", query_string={"q": "Debian"}).get_data(as_text=True)
    assert 'id="facet-lang">Language</h3>' in page
    for name in ("Russian", "German", "French", "Spanish", "Chinese", "Japanese", "English"):
        assert f'<span class="label">{name}</span>' in page
    link = re.search(r'<a href="([^"]*lang=ru[^"]*)"', page)
    assert link is not None
    chosen = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'class="on" aria-current="true"' in chosen
    snippets = re.findall(r'<p class="snippet" lang="(\w+)">', chosen)
    assert snippets and set(snippets) == {"ru"}  # read aloud in Russian


def test_the_api_filters_and_counts_by_language(client):
    body = client.get("/api/search", query_string={"q": "软件", "lang": "zh", "facets": "1"})
    data = body.get_json()
    assert data["total"] > 0 and {r["lang"] for r in data["results"]} == {"zh"}
    assert [v["value"] for v in data["facets"]["lang"] if v["selected"]] == ["zh"]
    bad = client.get("/api/search", query_string={"q": "Debian", "lang": "1x"})
    assert bad.status_code == 400 and "lang" in bad.get_json()["error"]["message"]
    status = client.get("/api/status").get_json()
    assert {c["name"] for c in status["languages"]} >= set(LANGS)
    assert "By language" in client.get("/status").get_data(as_text=True)


def test_the_command_line_filters_by_language(guide_index, runner):
    from indexer.cli import cli

    args = ["search", "разработчик", "--lang", "ru", "--json", "--index", str(guide_index)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] > 0 and {r["lang"] for r in data["results"]} == {"ru"}
    status = runner.invoke(cli, ["status", "--index", str(guide_index)])
    assert "language" in status.output and "\nru " in status.output


def test_a_correction_is_a_word_of_the_passages_in_the_querys_language(tmp_path):
    # `hond` is one edit from English `hand`, which is far commoner, and from German
    # `hund`; beside a word only German knows the query is German, and so is its
    # correction.
    source = tmp_path / "source"
    source.mkdir()
    english = "The hand of the old man was on the table, and his other hand was cold."
    german = "Der Hund und die Katze schlafen im Garten, aber der alte Hund ist noch wach."
    (source / "hands.txt").write_text("\n\n".join([english] * 12), "utf-8")
    (source / "tiere.txt").write_text(german, "utf-8")
    build_index(source, tmp_path / "index", full=True)
    with Engine(tmp_path / "index") as engine:
        assert {h.lang for h in engine.search(Query("hand Hund", per_page=20)).hits} == {
            "en",
            "de",
        }
        assert engine.search(Query("hond")).suggestion == "hand"  # English, the commoner
        assert engine.search(Query("hond schlafen")).suggestion == "hund schlafen"
