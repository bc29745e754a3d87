"""Splitting documents into passages; the seed essay's passages are pinned; a
byline or an authors line stays with the text it opens."""

from __future__ import annotations

import base64

import pytest

from indexer.build.passages import is_data, split_document
from indexer.build.run import build_index
from indexer.models import Query
from indexer.readers import read_document
from indexer.search.engine import Engine
from tests.conftest import SEED_DOC, SEEDS

CAPTION = "Flickr/Axel Axel (Some rights reserved)"
QUOTE_1 = (
    "Human Rights Watch was one of the first international organizations to open an office in "
    "Russia, on the eve of the collapse of the Soviet Union."
)
QUOTE_2 = "If Russian groups have viewed Human Rights Watch as a competitor"


def seed_split():
    return split_document(read_document(SEEDS / SEED_DOC, SEEDS))


def test_seed_passages_are_pinned():
    split = seed_split()
    passages = split.passages
    assert len(passages) == 10
    assert [p.ordinal for p in passages] == list(range(1, 11))
    assert [p.id for p in passages] == [f"{SEED_DOC}#p{n}" for n in range(1, 11)]
    assert split.captions == 1 and split.duplicates == 2
    assert passages[0].text.startswith("Human Rights Watch was one of the first")
    assert passages[4].text.startswith("Whether it’s the war in Chechnya")
    assert passages[-1].text.endswith("Russia will remain one of our top priorities.")
    assert {p.title for p in passages} == {
        "Long before “internationalization”: Human Rights Watch and local collaborations in Russia"
    }


def test_no_caption_or_pull_quote_is_a_passage():
    texts = [p.text for p in seed_split().passages]
    assert not any(CAPTION in t for t in texts)
    assert not any(t == QUOTE_1 or t.startswith(QUOTE_2) for t in texts)
    # The quoted sentence survives once, inside its full paragraph.
    assert sum(QUOTE_1 in t for t in texts) == 1


def test_spans_point_into_the_document_text():
    doc = read_document(SEEDS / SEED_DOC, SEEDS)
    for p in split_document(doc).passages:
        assert doc.text[p.start : p.end] == p.text


def sentence(n: int, words: int = 12) -> str:
    return "Word " + " ".join(["word"] * (words - 2)) + f" s{n}."


def test_long_paragraph_splits_at_sentences_into_windows(corpus):
    paragraph = " ".join(sentence(n) for n in range(40))  # 480 words
    src = corpus({"long.txt": "Title\n\n" + paragraph})
    passages = split_document(read_document(src / "long.txt", src)).passages
    sizes = [len(p.text.split()) for p in passages]
    assert len(passages) == 3 and sum(sizes) == 480
    assert all(80 <= s <= 200 for s in sizes)
    assert all(p.text.endswith(".") for p in passages)  # cut at sentence ends


def test_sentence_without_end_is_cut_by_words(corpus):
    src = corpus({"run.txt": " ".join(f"w{n}" for n in range(1000))})
    passages = split_document(read_document(src / "run.txt", src)).passages
    assert [len(p.text.split()) for p in passages] == [200] * 5


def test_runs_of_tiny_paragraphs_merge(corpus):
    verse = "\n\n".join(f"line number {n} here" for n in range(30))
    src = corpus(
        {
            "poem.txt": "Poem\n\nAn opening paragraph that is long enough to stand alone."
            " It has two sentences.\n\n" + verse
        }
    )
    passages = split_document(read_document(src / "poem.txt", src)).passages
    assert len(passages) == 3  # the opening, then 30 four-word lines in 80-word groups
    assert passages[1].text.startswith("line number 0") and "line number 19" in passages[1].text
    assert passages[2].text.startswith("line number 20")


def test_markdown_sections_follow_headings(corpus):
    src = corpus({"b.md": "# Book\n\n## Chapter 1\n\nIn the beginning.\n\n## Chapter 2\n\nThen.\n"})
    passages = split_document(read_document(src / "b.md", src)).passages
    assert [(p.title, p.section, p.text) for p in passages] == [
        ("Book", "Chapter 1", "In the beginning."),
        ("Book", "Chapter 2", "Then."),
    ]


def test_equal_repeated_verses_are_not_pull_quotes(corpus):
    text = "# Song\n\n" + "\n\n".join(
        [
            "O give thanks unto the Lord; for he is good.",
            "He made the earth and the sea.",
            "O give thanks unto the Lord; for he is good.",
        ]
    )
    src = corpus({"s.md": text})
    assert len(split_document(read_document(src / "s.md", src)).passages) == 3


def test_refrains_among_short_paragraphs_are_not_pull_quotes(corpus):
    verses = [
        "Cursed be the man that maketh any graven image, an abomination unto the Lord. "
        "And all the people shall answer and say, Amen.",
        "Cursed be he that setteth light by his father. And all the people shall say, Amen.",
        "Cursed be he that removeth his neighbour's landmark. And all the people shall say, Amen.",
        "And all the people shall say, Amen. Cursed be he that smiteth his neighbour secretly, "
        "and he that taketh reward to slay an innocent person.",
    ]
    src = corpus({"deu.md": "# Deuteronomy\n\n" + "\n\n".join(verses)})
    assert len(split_document(read_document(src / "deu.md", src)).passages) == 4


@pytest.mark.parametrize(
    ("text", "data"),
    [
        (" ".join(base64.encodebytes(bytes(range(256)) * 12).decode().split()), True),  # wrapped
        ("x.a=[1,2].map(function(q){return(q+1)*2}).filter(Boolean);y.b={c:1};" * 9, True),
        ("See https://example.com/docs/reference/api/v2/list-all-the-things for details.", False),
        ("sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", False),
        ("日本語の文章には単語の間に空白がありません。" * 30, False),  # prose without spaces
        ("The ferry left the harbour at dawn. " * 20, False),
    ],
)
def test_data_is_told_from_prose(text, data):
    assert is_data(text) is data


# A record as bibliographic collections hold it (ADI, document 2): a title, an
# authors line, an abstract.
RECORD = (
    "# A new efficient structure-matching procedure and its application to automatic "
    "retrieval systems\n\n"
    "G. Salton; E. H. Sussenguth, Jr.\n\n"
    "A new automatic method is presented for the comparison of two-dimensional line patterns. "
    "Retrieval applications include the matching of chemical structures and the comparison "
    "of syntactically analyzed excerpts extracted from documents and search requests.\n"
)


def test_an_authors_line_stays_with_the_text_it_opens(corpus):
    src = corpus({"record.md": RECORD, "no-abstract.md": "# On indexing\n\nH. P. Luhn\n"})
    passages = split_document(read_document(src / "record.md", src)).passages
    assert len(passages) == 1
    assert passages[0].text.startswith("G. Salton; E. H. Sussenguth, Jr.\n\nA new automatic")
    assert passages[0].text.endswith("search requests.")
    # A record with no text but its authors is that line.
    alone = split_document(read_document(src / "no-abstract.md", src)).passages
    assert [p.text for p in alone] == ["H. P. Luhn"]


def test_a_byline_joins_only_the_paragraph_it_opens(corpus):
    story = (
        "# Floods\n\nBy Ann Lee\n\nMay 3, 2019\n\n"
        "The river rose a metre overnight and the lower town was closed to traffic.\n\n"
        "Thanks to all.\n\n"
        "## Later\n\nBy Tom Ash\n\n"
        "The water went down by noon and the bridge opened again in the afternoon.\n"
    )
    src = corpus({"story.md": story})
    passages = split_document(read_document(src / "story.md", src)).passages
    assert [(p.section, p.text.split("\n\n")) for p in passages] == [
        ("", ["By Ann Lee", "May 3, 2019", passages[0].text.split("\n\n")[-1]]),
        ("", ["Thanks to all."]),  # a short line closing a section is a passage
        ("Later", ["By Tom Ash", passages[2].text.split("\n\n")[-1]]),
    ]
    assert passages[0].text.endswith("closed to traffic.")
    assert passages[2].text.endswith("in the afternoon.")


def test_an_authors_line_is_found_with_its_abstract(corpus, tmp_path):
    build_index(corpus({"record.md": RECORD}), tmp_path / "index", full=True)
    with Engine(tmp_path / "index") as engine:
        result = engine.search(Query("Salton line patterns"))
    # One passage holds the author and the abstract's words: not a partial match.
    assert [h.id for h in result.hits] == ["record.md#p1"] and not result.partial
    assert "Salton" in result.hits[0].text and "line patterns" in result.hits[0].text
