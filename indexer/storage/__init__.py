"""seedsearch's index storage: a Whoosh codec whose postings are numpy arrays.

`pack` is the file format, `inversion` turns buffered postings into arrays,
`codec` is the Whoosh codec (readers and the field writer) and `writer` the
bulk segment writer the build uses.
"""
