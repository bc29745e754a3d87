"""Language detection on real text: Debian's installation guide as seedsearch splits
it (tests/corpora.py fetches it)."""

from __future__ import annotations

import pytest

from indexer.build.passages import passages_of
from indexer.detection import detect, detect_text
from indexer.readers import parse_document
from tests import corpora


def _passages(lang: str, page: str = "ch01s01") -> list[str]:
    path = corpora.guide(lang) / f"{page}.html"
    document = parse_document(path.name, ".html", path.read_bytes(), path.parent)
    return [p.text for p in passages_of(document).passages]


@pytest.mark.parametrize("lang", ["en", "ru", "de", "fr", "es", "it", "pt", "zh", "ja", "ko"])
def test_a_page_is_in_its_translations_language(lang):
    found = detect(_passages(lang))
    assert found.document == lang
    # Every passage of the page, short headings included (they take the page's).
    assert set(found.passages) == {lang}


def test_a_mixed_document_gets_each_passage_right():
    russian, english = _passages("ru"), _passages("en", "ch01s02")
    long_english = max(english, key=len)
    found = detect([*russian[:4], long_english, *russian[4:]])
    assert found.document == "ru"
    assert found.passages[4] == "en"
    assert set(found.passages[:4] + found.passages[5:]) == {"ru"}


def test_a_passage_too_short_to_tell_takes_the_documents_language():
    german = _passages("de")
    found = detect([*german, "Debian", "GNU/Linux"])
    assert found.passages[-2:] == ("de", "de")


def test_cjk_text_is_told_by_its_script():
    assert detect_text("これはペンです。Debian をインストールします") == "ja"
    assert detect_text("Debian 是一个自由的操作系统") == "zh"
    assert detect_text("데비안은 자유 운영 체제입니다") == "ko"
    # Kanji alone in a Japanese document is Japanese.
    assert detect(["付録", *_passages("ja")]).passages[0] == "ja"


# Nehemiah 10:15-27 in the King James Bible, a passage of names once read as Indonesian.
NAMES = "\n\n".join(
    [
        "Bunni, Azgad, Bebai,",
        "Adonijah, Bigvai, Adin,",
        "Ater, Hizkijah, Azzur,",
        "Hodijah, Hashum, Bezai,",
        "Hariph, Anathoth, Nebai,",
        "Magpiash, Meshullam, Hezir,",
        "Meshezabeel, Zadok, Jaddua,",
        "Pelatiah, Hanan, Anaiah,",
        "Hoshea, Hananiah, Hashub,",
        "Hallohesh, Pileha, Shobek,",
        "Rehum, Hashabnah, Maaseiah,",
        "And Ahijah, Hanan, Anan,",
        "Malluch, Harim, Baanah.",
    ]
)


def test_a_list_of_names_stays_in_its_documents_language():
    english = _passages("en")
    found = detect([*english, NAMES])
    assert found.passages[-1] == "en"
    # Prose of a language without a stop list still gets its own.
    indonesian = max(_passages("id"), key=len)
    assert detect([*english, indonesian]).passages[-1] == "id"
