"""The search function on the seed essay's real index."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from indexer.errors import BadQuery
from indexer.models import Query
from indexer.search.parse import MAX_QUERY_CHARS
from tests.conftest import SEED_DOC


def search(engine, text: str, **kw):
    return engine.search(Query(text=text, **kw))


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def marked(snippet: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", snippet)


def test_a_repeated_query_is_the_same_result_as_a_new_object(seed_engine):
    seed_engine.clear_cache()
    first = search(seed_engine, "Chechnya", page=2, per_page=2)
    took = first.took_ms
    again = search(seed_engine, "Chechnya", page=2, per_page=2)  # from the result cache
    assert first.hits and again is not first and first.took_ms == took
    assert replace(again, took_ms=took) == first


def test_result_fields_and_json_shape(seed_engine):
    result = search(seed_engine, "Chechnya")
    data = result.to_json()
    assert list(data) == [
        "query",
        "total",
        "page",
        "per_page",
        "took_ms",
        "suggestion",
        "corrected",
        "notes",
        "dropped",
        "results",
    ]
    assert list(data["results"][0]) == [
        "id",
        "doc",
        "title",
        "section",
        "ordinal",
        "score",
        "snippet",
        "text",
        "url",
        "page",
        "page_label",
        "ocr",
        "lang",
    ]
    hit = result.hits[0]
    assert hit.doc == SEED_DOC and hit.id == f"{SEED_DOC}#p{hit.ordinal}"
    assert hit.url == f"/doc/{SEED_DOC}?q=Chechnya#p{hit.ordinal}"
    assert "Chechnya" in hit.text and "<" not in hit.text
    assert (hit.page, hit.page_label, hit.ocr) == (None, None, False)  # text: no pages, no OCR
    assert hit.lang == "en"


def test_every_matched_form_is_marked_and_nothing_else_is_markup(seed_engine):
    result = search(seed_engine, "donors counterinsurgency")
    assert result.total == 2
    snippets = " ".join(h.snippet for h in result.hits)
    assert set(marked(snippets)) == {"donor", "counter-insurgency"}
    assert re.sub(r"</?mark>", "", snippets).count("<") == 0


@pytest.mark.parametrize("query", ["counterinsurgency", "counter insurgency", "counter-insurgency"])
def test_hyphenated_forms_find_the_compound(seed_engine, query):
    result = search(seed_engine, query)
    assert ids(result)[0] == f"{SEED_DOC}#p5"
    assert "-".join(marked(result.hits[0].snippet)) == "counter-insurgency"


@pytest.mark.parametrize(
    "query",
    ['"abusive counter-insurgency operations"', '"abusive counter insurgency operations"'],
)
def test_phrases_across_a_hyphenated_compound(seed_engine, query):
    result = search(seed_engine, query)
    assert ids(result) == [f"{SEED_DOC}#p5"]
    assert marked(result.hits[0].snippet) == ["abusive counter-insurgency operations"]


def test_curly_and_straight_apostrophes_match(seed_engine):
    straight = search(seed_engine, '"we\'ve always striven"')
    curly = search(seed_engine, "“we’ve always striven”")
    assert ids(straight) == ids(curly) == [f"{SEED_DOC}#p5"]


def test_accent_folding(seed_engine):
    assert ids(search(seed_engine, "vis-a-vis")) == [f"{SEED_DOC}#p10"]
    assert marked(search(seed_engine, "vis-a-vis").hits[0].snippet) == ["vis-à-vis"]


def test_phrase_is_exact_and_marked_as_a_phrase(seed_engine):
    result = search(seed_engine, '"Memorial Human Rights Center"')
    assert ids(result) == [f"{SEED_DOC}#p3"]
    assert marked(result.hits[0].snippet) == ["Memorial Human Rights Center"]


def test_exclusion_drops_passages_with_the_word(seed_engine):
    result = search(seed_engine, "Chechnya -Memorial")
    assert result.total > 0
    assert all("memorial" not in h.text.lower() for h in result.hits)
    assert result.total < search(seed_engine, "Chechnya").total


def test_plus_requires_a_word(seed_engine):
    result = search(seed_engine, "+Syria Russia")
    assert result.total == 1 and "Syria" in result.hits[0].text


def test_passages_with_every_word_come_first(seed_engine):
    result = search(seed_engine, "Olympics Memorial", per_page=20)
    with_both = [h for h in result.hits if "Olympic" in h.text and "Memorial" in h.text]
    assert with_both and result.hits[0] is with_both[0]
    assert not result.partial


def test_partial_note_when_no_passage_has_every_word(seed_engine):
    result = search(seed_engine, "Syria Sochi")
    assert result.total >= 2 and result.partial


def test_pull_quote_sentence_returns_the_full_paragraph_once(seed_engine):
    # The quote's own first sentence is in no passage: the quote is not one.
    result = search(
        seed_engine, '"If Russian groups have viewed Human Rights Watch as a competitor"'
    )
    assert result.total == 0
    assert ids(search(seed_engine, '"we’ve always striven for collaboration"')) == [
        f"{SEED_DOC}#p5"
    ]
    result = search(seed_engine, "If Russian groups have viewed Human Rights Watch as a competitor")
    assert ids(result)[0] == f"{SEED_DOC}#p5"
    quote = "one of the first international organizations to open an office in Russia"
    result = search(seed_engine, f'"{quote}"')
    assert ids(result) == [f"{SEED_DOC}#p1"]


def test_spelling_suggestion_and_fallback(seed_engine):
    result = search(seed_engine, "Chechnia")
    assert result.suggestion == "Chechnya" and result.corrected
    assert result.total > 0 and ids(result)[0] == f"{SEED_DOC}#p5"
    assert marked(result.hits[0].snippet) == ["Chechnya"]
    exact = search(seed_engine, "Chechnia", exact=True)
    assert exact.total == 0 and exact.suggestion == "Chechnya" and not exact.corrected


def test_suggestion_without_fallback_when_other_words_match(seed_engine):
    result = search(seed_engine, "Memorial Kremlim")
    assert result.suggestion == "Memorial Kremlin" and not result.corrected
    assert result.total > 0


def test_known_words_get_no_suggestion(seed_engine):
    assert search(seed_engine, "Kremlin crackdown").suggestion is None


def test_paging(seed_engine):
    first = search(seed_engine, "Russia", per_page=3)
    second = search(seed_engine, "Russia", per_page=3, page=2)
    assert first.total == second.total >= 6
    assert not set(ids(first)) & set(ids(second))
    beyond = search(seed_engine, "Russia", per_page=3, page=50)
    assert beyond.hits == () and beyond.total == first.total


def test_prefix_expands_over_words(seed_engine):
    result = search(seed_engine, "internation*")
    assert result.total >= 3
    assert {m.lower() for h in result.hits for m in marked(h.snippet)} >= {
        "international",
        "internationalization",
    }


@pytest.mark.parametrize(
    "query",
    ["", "   ", "*", "x" * (MAX_QUERY_CHARS + 1), "title:*", "?"],
)
def test_bad_queries_raise_bad_query(seed_engine, query):
    with pytest.raises(BadQuery):
        search(seed_engine, query)


@pytest.mark.parametrize("query", ['"unbalanced', "(open", "AND", "NOT", "foo:bar", "a)))", "~"])
def test_odd_syntax_is_tolerated(seed_engine, query):
    try:
        search(seed_engine, query)
    except BadQuery as exc:
        assert exc.message


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (1, 0), (1, 1001), (100_000, 10)])
def test_bad_paging_raises_bad_query(seed_engine, page, per_page):
    with pytest.raises(BadQuery):
        search(seed_engine, "Russia", page=page, per_page=per_page)


def test_document_view_marks_every_match(seed_engine):
    view = seed_engine.document(SEED_DOC, "Chechnya")
    assert [p.ordinal for p in view.passages] == list(range(1, 11))
    assert view.matches == sum(p.html.count("<mark>") for p in view.passages) == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("war NOT Chechnya", 0),  # the only passage with "war" names Chechnya
        ("(Russia -Memorial) AND Chechnya", 2),
        ("(+Syria Russia) OR Sochi", 3),
    ],
)
def test_exclusion_and_requirement_inside_groups(seed_engine, query, expected):
    result = search(seed_engine, query)
    assert result.total == expected
    if "Memorial" in query:
        assert all("Memorial" not in h.text for h in result.hits)


def test_stop_words_score_but_do_not_make_a_match(seed_engine):
    with_stops = search(seed_engine, "the war in Chechnya")
    assert with_stops.total == search(seed_engine, "war Chechnya").total == 3
    assert "the" not in [m.lower() for h in with_stops.hits for m in marked(h.snippet)]
    assert search(seed_engine, "the").total == 10  # a query of stop words still works


def test_a_compound_marks_as_one_phrase(seed_engine):
    result = search(seed_engine, "vis-a-vis")
    assert ids(result) == [f"{SEED_DOC}#p10"] and marked(result.hits[0].snippet) == ["vis-à-vis"]


def test_a_prefix_longer_than_the_stem_still_finds_the_word(seed_engine):
    # "persecution" is indexed as its stem "persecut", shorter than the prefix typed.
    result = search(seed_engine, "persecuti*")
    assert result.total == 1 and marked(result.hits[0].snippet) == ["persecution"]


def test_a_prefix_finds_words_whose_stem_spells_it_otherwise(tmp_path):
    # "crying" is indexed as "cri": the prefix typed is no start of its stem.
    from indexer.build.run import build_index
    from indexer.search.engine import Engine

    (tmp_path / "src").mkdir()
    text = "The children were crying in the night, and nobody came to them."
    (tmp_path / "src" / "night.txt").write_text(text, "utf-8")
    build_index(tmp_path / "src", tmp_path / "index", full=True)
    with Engine(tmp_path / "index") as engine:
        for prefix in ("cryi*", "cryin*", "crying*"):
            result = search(engine, prefix)
            assert result.total == 1 and marked(result.hits[0].snippet) == ["crying"], prefix


@pytest.mark.parametrize("query", ["zzyzx*", "zz?yx", "zzyzxq~", "title:zzyzx*"])
def test_a_pattern_that_matches_no_word_finds_nothing_and_says_so(seed_engine, query):
    result = search(seed_engine, query)
    assert result.total == 0 and result.hits == ()
    assert any("matches no word in the index" in note for note in result.notes), result.notes


def test_a_pattern_that_matches_no_word_leaves_the_other_words(seed_engine):
    alone = search(seed_engine, "Chechnya")
    result = search(seed_engine, "Chechnya zzyzx*")
    assert ids(result) == ids(alone) and result.partial  # no passage holds every word
