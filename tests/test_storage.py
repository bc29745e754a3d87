"""The pack codec against Whoosh's own W3 codec: the same corpus written both ways
must answer every Whoosh API alike, in a fresh process, before and after deletions,
mixed segments and an optimize; damaged packs are refused; vector scoring ranks
alike over both."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh.fields import NUMERIC
from whoosh.reading import SegmentReader
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from indexer.analysis import ANALYZER, index_spans, index_terms
from indexer.build.passages import split_document
from indexer.build.run import build_index
from indexer.errors import IndexBroken
from indexer.models import Passage, Query
from indexer.readers import read_document
from indexer.schema import build_schema
from indexer.search.engine import Engine
from indexer.search.parse import parse
from indexer.search.rank import rank, weighting
from indexer.storage.codec import PACK_EXT, PackSegment, pack_fields
from indexer.storage.inversion import length_bytes
from indexer.storage.pack import Pack, PackError, write_pack
from indexer.storage.perdoc import DOCS_EXT
from indexer.storage.writer import PackWriter

from .conftest import SEED_DOC, SEEDS

PROBE = Path(__file__).with_name("storage_probe.py")
EXTRA = [
    "War and peace: the war in Chechnya, a counter-insurgency war, and the peace after it.",
    "Donors, donors and donations. The memorial's donors met the donor in Nazran.",
    "Über die Brücke: vis-à-vis the café, naïve people drank crème brûlée.",
    "Human rights watch; human rights defenders; rights of humans; the the the.",
    "Cancer centre, cell census, cease-fire; cement and cedar; capital of Chechnya.",
    "Internationalization, international internationals, interns interning internally.",
]


def passages() -> list[Passage]:
    """The seed essay's passages, then short documents of awkward words."""
    seed = split_document(read_document(SEEDS / SEED_DOC, SEEDS)).passages
    rng = random.Random(7)
    extra = []
    for n in range(40):
        text = " ".join(rng.sample(EXTRA, 3))
        doc = f"{'abc'[n % 3]}.txt"
        extra.append(Passage(doc, n + 1, f"Notes on {doc}", f"Part {n % 4}", text, 0, len(text)))
    return list(seed) + extra


def add(writer, items: list[Passage]) -> None:
    for p in items:
        writer.add_document(
            id=p.id,
            doc=p.doc,
            ordinal=p.ordinal,
            n=p.ordinal,
            start=p.start,
            end=p.end,
            format=p.doc.rsplit(".", 1)[-1],
            title=p.title,
            section=p.section,
            body=p.text,
        )


def w3_writer(ix) -> SegmentWriter:
    return ix.writer()  # Whoosh's own writer and codec


def probe(path: Path) -> dict:
    """What Whoosh answers about the index at `path`, asked in a fresh process."""
    done = subprocess.run(
        [sys.executable, str(PROBE), str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROBE.parent.parent,
    )
    return json.loads(done.stdout)


def write(path: Path, steps) -> Path:
    """An index at `path` written by `steps`: (writer factory, passages, docs to delete,
    commit keywords) each."""
    path.mkdir()
    schema = build_schema()
    schema.add("n", NUMERIC)  # a numeric field, for ranges
    ix = whoosh_index.create_in(str(path), schema)
    for make, items, delete, commit in steps:
        writer = make(ix)
        for doc in delete:
            writer.delete_by_term("doc", doc)
        add(writer, items)
        writer.commit(**commit)
    return path


def segments(path: Path) -> list:
    return whoosh_index.open_dir(str(path))._segments()


def test_a_pack_index_answers_whoosh_exactly_as_a_w3_index(tmp_path):
    items = passages()
    w3 = write(tmp_path / "w3", [(w3_writer, items, (), {})])
    pack = write(tmp_path / "pack", [(PackWriter, items, (), {})])
    assert [type(s) for s in segments(pack)] == [PackSegment]
    expected, got = probe(w3), probe(pack)
    assert expected["doc_count"] == len(items)
    found = [hits for query, hits in expected["queries"].items() if "moved/" not in query]
    assert all(found), "every query finds something"
    assert got == expected


def test_deletions_mixed_segments_and_optimize_answer_alike(tmp_path):
    items = passages()
    a, b, c = items[:20], items[20:45], items[45:]
    steps = [
        (w3_writer, a, (), {"merge": False}),
        (w3_writer, b, ("hrw-local-collaborations-in-russia.txt",), {"merge": False}),
        (w3_writer, c, ("b.txt",), {"merge": False}),
    ]
    w3 = write(tmp_path / "w3", steps)
    # The same, in pack segments, with a W3 segment among them.
    mixed = [(PackWriter, a, (), {"merge": False}), (PackWriter, *steps[1][1:]), steps[2]]
    pack = write(tmp_path / "pack", mixed)
    assert [type(s).__name__ for s in segments(pack)] == ["PackSegment"] * 2 + ["W3Segment"]
    assert probe(pack) == probe(w3)

    w3_writer(whoosh_index.open_dir(str(w3))).commit(optimize=True)
    PackWriter(whoosh_index.open_dir(str(pack))).commit(optimize=True)
    [merged] = segments(pack)
    assert isinstance(merged, PackSegment) and not merged.has_deletions()
    after = probe(pack)
    assert after == probe(w3)
    for field in after["fields"].values():  # no term is left without a posting
        assert all(info[1] > 0 for info in field["info"])
    segment_files = {p.name for p in pack.iterdir() if re.match(r"MAIN_[0-9a-z]+\.", p.name)}
    assert {f for f in segment_files if f.endswith(PACK_EXT)} == {merged.make_filename(PACK_EXT)}
    assert all(f.startswith(merged.segment_id()) for f in segment_files)  # old ones cleaned


def test_vector_ranking_is_the_same_over_w3_and_pack_segments(tmp_path):
    items = passages()
    w3 = whoosh_index.open_dir(str(write(tmp_path / "w3", [(w3_writer, items, (), {})])))
    pack = whoosh_index.open_dir(str(write(tmp_path / "pack", [(PackWriter, items, (), {})])))
    queries = [
        "war",
        "donors peace",
        '"human rights" russia',
        "counter-insurgency",
        "the war in chechnya and the peace",
        "inter*",
        "chechnia~1",
        "russia -chechnya",
        "how did human rights watch work with local partner organizations in russia",
    ]
    with w3.searcher(weighting=weighting()) as s1, pack.searcher(weighting=weighting()) as s2:
        for text in queries:
            one = rank(s1, parse(text, s1.reader()), 0, 20, None)
            two = rank(s2, parse(text, s2.reader()), 0, 20, None)
            assert one.total == two.total and one.total > 0, text
            assert [(d, round(s, 5)) for d, s in one.scored] == [
                (d, round(s, 5)) for d, s in two.scored
            ], text


def test_a_segment_too_big_for_one_pass_is_written_as_several(tmp_path, monkeypatch):
    monkeypatch.setattr("indexer.storage.writer.FLUSH_OCCURRENCES", 400)
    items = passages()
    pack = write(tmp_path / "pack", [(PackWriter, items, (), {"merge": False})])
    assert len(segments(pack)) > 3
    w3 = write(tmp_path / "w3", [(w3_writer, items, (), {})])
    several, one = probe(pack), probe(w3)
    assert several["within"] == one["within"] and one["within"]  # fuzzy words, per segment
    got, expected = several["queries"], one["queries"]
    assert got.keys() == expected.keys()
    for query in got:
        if query.startswith(("Wildcard", "TermRange", "Prefix", "FuzzyTerm")):
            # Whoosh scores a multi-term query by its words on several segments, as
            # a constant on one: the same passages, other scores.
            assert sorted(i for _, i in got[query]) == sorted(i for _, i in expected[query])
        else:
            assert got[query] == expected[query], query


def test_the_build_writes_pack_segments_and_vectors_read_them_in_place(tmp_path):
    index = tmp_path / "index"
    build_index(SEEDS, index)
    gen = next(index.glob("gen-*"))
    [(leaf, _)] = whoosh_index.open_dir(str(gen)).reader().leaf_readers()
    body = pack_fields(leaf).fields["body"]
    assert isinstance(body.docs, np.ndarray) and not body.docs.flags.writeable  # a mapped view
    with Engine(index) as engine:
        assert engine.search(Query("memorial")).total > 0


@pytest.mark.parametrize("ext", [PACK_EXT, DOCS_EXT])
@pytest.mark.parametrize("damage", ["truncate", "zero-footer", "garble-directory", "bad-array"])
def test_a_damaged_pack_is_refused_at_open(tmp_path, damage, ext):
    index = tmp_path / "index"
    build_index(SEEDS, index)
    [pak] = list(index.glob(f"gen-*/*{ext}"))
    data = bytearray(pak.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "zero-footer":
        data[-32:] = bytes(32)
    elif damage == "garble-directory":
        data[-100] ^= 0xFF
    else:  # a consistent file whose arrays do not fit together
        name = "body/post_ptr" if ext == PACK_EXT else "stored/body/text_offsets"
        data = _rewrite_array(pak, name, lambda a: a[::-1].copy())
    pak.chmod(0o644)
    pak.write_bytes(bytes(data))
    with pytest.raises(IndexBroken), Engine(index) as engine:
        engine.health()


def _rewrite_array(path: Path, name: str, change) -> bytes:
    pack = Pack(path.read_bytes(), path.stat().st_size, path.name)
    arrays = {key: pack.array(key) for key in pack._directory}
    arrays[name] = change(arrays[name])
    out = path.with_suffix(".new")
    with open(out, "wb") as f:
        write_pack(f, arrays, pack.meta)
    data = out.read_bytes()
    out.unlink()
    return data


def test_pack_files_refuse_garbage_before_building_a_view(tmp_path):
    path = tmp_path / "x.pak"
    path.write_bytes(b"SSPACK\x01\x00" + bytes(100))
    with pytest.raises(PackError):
        Pack(path.read_bytes(), path.stat().st_size, path.name)


# Languages with their own rules: a stemmer reading accents, elision, none at all.
LANGS = st.sampled_from(["en", "ru", "de", "fr", "zh", "uk"])
# Text with the scripts the analysis treats apart: Latin with accents, Cyrillic, CJK.
MIXED = st.text(alphabet=st.sampled_from(list("aé'’-ß Чёй жі自由软件ソフトｶﾞ한국 .,1")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80),
        MIXED,
    ),
    LANGS,
)
def test_the_fast_analysis_path_yields_the_analyzers_terms(text, lang):
    words, positions = index_terms(text, lang)
    tokens = [(t.text, t.pos) for t in ANALYZER(text, positions=True, lang=lang)]
    assert list(zip(words, positions, strict=True)) == tokens


def test_length_bytes_match_whoosh():
    lengths = np.arange(0, 120_000, 7)
    assert length_bytes(lengths).tolist() == [length_to_byte(int(n)) for n in lengths]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80),
        MIXED,
    ),
    LANGS,
)
def test_the_fast_highlighting_path_yields_the_analyzers_spans(text, lang):
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in ANALYZER(text, positions=True, chars=True, lang=lang)
    ]
    assert index_spans(text, lang) == tokens


def test_copied_documents_answer_as_if_indexed_again(tmp_path):
    items = passages()
    moved = "moved/b2.txt"
    renamed = [replace(p, doc=moved) for p in items if p.doc == "b.txt"]
    first = (PackWriter, items, (), {"merge": False})
    # What a move must amount to: the document deleted and indexed under its new id.
    expected = write(
        tmp_path / "again", [first, (PackWriter, renamed, ("b.txt",), {"merge": False})]
    )
    copied = write(tmp_path / "copied", [first])
    ix = whoosh_index.open_dir(str(copied))
    writer = PackWriter(ix)
    [(leaf, _)] = writer.reader().leaf_readers()
    docnums = list(leaf.postings("doc", b"b.txt").all_ids())
    writer.copy_documents(
        leaf,
        docnums,
        {"id": lambda s: s["id"].replace("b.txt", moved), "doc": lambda s: moved},
    )
    writer.delete_by_term("doc", "b.txt")
    writer.commit(merge=False)
    got = probe(copied)
    assert got == probe(expected)
    assert got["queries"]["Term('doc', 'b.txt')"] == []
    assert len(got["queries"][f"Term('doc', '{moved}')"]) == len(renamed) > 0


def test_segments_appended_into_one_answer_as_one_written_whole(tmp_path):
    # What a cluster build does: tasks write segments, others append them into
    # one, and the builder commits that one alone.
    items = passages()
    whole = write(tmp_path / "whole", [(PackWriter, items, (), {})])
    path = tmp_path / "parts"
    path.mkdir()
    schema = build_schema()
    schema.add("n", NUMERIC)
    ix = whoosh_index.create_in(str(path), schema)
    parts = []
    for chunk in (items[:30], items[30:70], items[70:]):
        writer = PackWriter(ix, _lk=False)
        add(writer, chunk)
        parts += writer.finish_segments()
    merger = PackWriter(ix, _lk=False)
    for segment in parts:
        reader = SegmentReader(ix.storage, ix.schema, segment)
        merger.append_segment(reader)
        reader.close()
    builder = PackWriter(ix)
    builder.adopt(merger.finish_segments())
    builder.commit()
    [merged] = segments(path)
    assert probe(path) == probe(whole)
    left = {p.name for p in path.glob("MAIN_*")} - {"MAIN_WRITELOCK"}
    assert left == {merged.make_filename(ext) for ext in (PACK_EXT, DOCS_EXT)}  # parts cleaned
