"""One analysis pipeline at index and query time: folding, compounds, stemming."""

from __future__ import annotations

import pytest

from indexer.analysis import STOP_WORDS, analyze


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("we’ve", "we've"),  # curly apostrophe
        ("vis-à-vis", "vis-a-vis"),  # accents
        ("ﬁnance", "finance"),  # NFKC ligature
        ("ＲＵＳＳＩＡ", "russia"),  # NFKC full width, case
        ("Donors", "donor"),  # stemming
        ("organizations", "organization"),
    ],
)
def test_forms_fold_to_the_same_terms(a, b):
    assert analyze(a, "query") == analyze(b, "query")


def test_hyphenated_compound_is_indexed_as_parts_and_joined():
    assert analyze("counter-insurgency") == ["counter", "insurg", "counterinsurg"]
    assert analyze("counter-insurgency", "query") == ["counter", "insurg"]


def test_stop_words_are_kept_in_the_index():
    assert analyze("the war in Chechnya") == ["the", "war", "in", "chechnya"]
    assert {"the", "in", "of"} <= STOP_WORDS


# -- languages -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "a", "b"),
    [
        ("ru", "правозащитников", "правозащитники"),  # genitive plural, nominative plural
        ("ru", "ёлка", "елка"),  # ё is е
        ("de", "Straße", "Strasse"),  # ß as Snowball expects it
        ("de", "Häuser", "Haus"),  # umlaut of the plural
        ("fr", "développeurs", "developpeur"),  # plural, accents folded
        ("fr", "l'homme", "hommes"),  # elision
        ("es", "organizaciones", "organización"),
        ("ja", "ｿﾌﾄｳｪｱ", "ソフトウェア"),  # half-width katakana
    ],
)
def test_each_language_folds_its_forms_together(lang, a, b):
    assert analyze(a, "query", lang) == analyze(b, "query", lang)


@pytest.mark.parametrize(
    ("lang", "a", "b"),
    [
        ("ru", "война", "воина"),  # й is a letter of its own (war, warrior)
        ("ja", "カス", "ガス"),  # a voicing mark makes another word
        ("uk", "їжа", "іжа"),
    ],
)
def test_letters_that_look_accented_stay_apart(lang, a, b):
    assert analyze(a, "query", lang) != analyze(b, "query", lang)


def test_a_language_without_a_stemmer_is_tokenised_and_folded():
    assert analyze("Добрий ДЕНЬ, друзі", lang="uk") == ["добрий", "день", "друзі"]


def test_cjk_runs_become_bigrams_and_characters_at_index_time():
    assert analyze("自由软件", lang="zh") == ["自由", "自", "由软", "由", "软件", "软", "件"]
    assert analyze("自由软件", "query", lang="zh") == ["自由", "由软", "软件"]
    assert analyze("件", "query", lang="zh") == ["件"]
    # Wherever they stand: inside a Latin word, in an English passage.
    assert analyze("Debianとは", "query") == ["debian", "とは"]


def test_english_is_analysed_as_before_languages(tmp_path):
    """Every plain English word of a real page is its folded word's English Snowball
    stem, as it was when English was the only language."""
    from indexer.analysis import WORD_RE, fold, index_terms, stem
    from tests import corpora

    text = (corpora.guide("en") / "ch01s02.html").read_text("utf-8")
    words = [w for w in WORD_RE.findall(text) if w.isalpha()]
    assert len(words) > 300
    assert index_terms(" ".join(words), "en")[0] == [stem(fold(w)) for w in words]
