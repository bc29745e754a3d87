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
