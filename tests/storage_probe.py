"""Print, as JSON, what Whoosh's own API answers about an index: its lexicon, term
statistics, stored fields, lengths and the results of every kind of query.

tests/test_storage.py runs it in a fresh process on indexes written with Whoosh's
W3 codec and with seedsearch's pack codec and compares the two answers. Results
are keyed by passage id, not document number, so indexes whose segments were
written in another order compare equal.
"""

from __future__ import annotations

import json
import sys

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.qparser import QueryParser

QUERIES = [
    wq.Term("body", "war"),
    wq.Term("body", "the"),
    wq.Term("title", "russia"),
    wq.Term("doc", "b.txt"),
    wq.Term("doc", "moved/b2.txt"),
    wq.Phrase("body", ["human", "right"]),
    wq.Phrase("body", ["the", "war"]),
    wq.Phrase("body", ["war", "chechnya"], slop=5),
    wq.Phrase("body", ["counter", "insurg"]),
    wq.And([wq.Term("body", "war"), wq.Term("body", "peac")]),
    wq.Or([wq.Term("body", "donor"), wq.Term("body", "memori"), wq.Term("title", "note")]),
    wq.AndNot(wq.Term("body", "russia"), wq.Term("body", "chechnya")),
    wq.Prefix("body", "inter"),
    wq.Wildcard("body", "w*r"),
    wq.FuzzyTerm("body", "chechnia", maxdist=2),
    wq.TermRange("body", "ca", "ce"),
    wq.NumericRange("n", 2, 5),
    wq.Every(),
]
PARSED = ['war AND (peace OR "human rights")', "title:russia OR donor*", "memorial OR donors"]
FIELDS = ("body", "title", "section", "id", "doc", "format", "n")


def probe(path: str) -> dict:
    ix = whoosh_index.open_dir(path)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {n: fields["id"] for n, fields in reader.iter_docs()}
        out: dict = {"doc_count": reader.doc_count(), "fields": {}, "queries": {}}
        for field in FIELDS:
            terms = list(reader.lexicon(field))
            out["fields"][field] = {
                "lexicon": [t.hex() for t in terms],
                "info": [_info(reader.term_info(field, t), ids) for t in terms],
                "frequency": [reader.frequency(field, t) for t in terms],
            }
        out["prefix"] = [[t.hex() for t in reader.expand_prefix("body", p)] for p in "acw"]
        out["within"] = sorted(reader.terms_within("body", "chechnia", 2))
        out["stored"] = sorted((f for _, f in reader.iter_docs()), key=lambda f: f["id"])
        out["lengths"] = {
            ids[n]: [reader.doc_field_length(n, f) for f in ("body", "title")] for n in ids
        }
        out["field_length"] = [reader.field_length(f) for f in ("body", "title", "section")]
        parser = QueryParser("body", ix.schema)
        for q in QUERIES + [parser.parse(text) for text in PARSED]:
            hits = searcher.search(q, limit=None)
            answers = sorted((-round(h.score, 4), ids[h.docnum]) for h in hits)
            out["queries"][repr(q)] = [[-score, id_] for score, id_ in answers]
    return out


def _info(info, ids: dict) -> list:
    # Document numbers as passage ids: comparable across segment orders.
    return [
        round(info.weight(), 3),
        info.doc_frequency(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        ids.get(info.min_id()),
        ids.get(info.max_id()),
    ]


if __name__ == "__main__":
    json.dump(probe(sys.argv[1]), sys.stdout, sort_keys=True)
