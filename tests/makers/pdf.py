"""A tiny PDF writer: pages of text lines in Helvetica, page labels and an
Info dictionary. Enough to give PDFium real files to read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Helvetica in WinAnsiEncoding, with the fi/fl ligature glyphs at 0xAE/0xAF,
# as typeset PDFs carry them.
_LIGATURES = {"\ufb01": b"\xae", "\ufb02": b"\xaf"}


@dataclass(frozen=True)
class Line:
    """One line of text at (x, y) points from the bottom left of a page."""

    x: float
    y: float
    text: str
    size: float = 11


def column(
    lines: Sequence[str], x: float = 72, top: float = 740, leading: float = 14
) -> list[Line]:
    """Lines set top down in one column."""
    return [Line(x, top - n * leading, text) for n, text in enumerate(lines)]


def make_pdf(
    pages: Sequence[Sequence[Line]],
    labels: dict[int, str] | None = None,
    info: dict[str, str] | None = None,
    outline: Sequence[tuple[int, str]] = (),
    images: Sequence[int] = (),
) -> bytes:
    """A PDF of `pages`; `labels` maps a 0-based page index to a /PageLabels
    style ("r", "D" ...) starting there; `info` fills the Info dictionary;
    `outline` lists bookmarks as (0-based page index, title); the pages at the
    indexes in `images` carry a full-page picture, as a scan does."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
        b"/BaseEncoding /WinAnsiEncoding /Differences [174 /fi /fl] >> >>"
    )
    picture = add(
        b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream"
    )
    pages_ref = len(objects) + 1
    add(b"")  # the page tree, filled in once the pages are known
    kids = []
    for n, page in enumerate(pages):
        stream = b"".join(
            b"BT /F1 %g Tf %g %g Td (%s) Tj ET\n" % (line.size, line.x, line.y, _string(line.text))
            for line in page
        )
        if n in images:
            stream += b"q 500 0 0 700 50 50 cm /Im1 Do Q\n"
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream) + 1, stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>"
                % (pages_ref, content, font, picture)
            )
        )
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[pages_ref - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    catalog = b"<< /Type /Catalog /Pages %d 0 R" % pages_ref
    if outline:
        catalog += b" /Outlines %d 0 R" % _outline(add, objects, outline, kids)
    if labels:
        nums = b" ".join(b"%d << /S /%s >>" % (i, s.encode()) for i, s in sorted(labels.items()))
        catalog += b" /PageLabels << /Nums [%s] >>" % nums
    root = add(catalog + b" >>")
    info_ref = None
    if info:
        entries = b" ".join(b"/%s (%s)" % (k.encode(), _string(v)) for k, v in info.items())
        info_ref = add(b"<< %s >>" % entries)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, root)
    if info_ref:
        trailer += b" /Info %d 0 R" % info_ref
    out += b"trailer\n%s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def _outline(add, objects: list[bytes], marks: Sequence[tuple[int, str]], kids: list[int]) -> int:
    """A flat outline: one bookmark per (page index, title)."""
    root = add(b"")
    first = len(objects) + 1
    refs = list(range(first, first + len(marks)))
    for n, (page, title) in enumerate(marks):
        links = b""
        if n:
            links += b" /Prev %d 0 R" % refs[n - 1]
        if n + 1 < len(marks):
            links += b" /Next %d 0 R" % refs[n + 1]
        add(
            b"<< /Title (%s) /Parent %d 0 R%s /Dest [%d 0 R /XYZ 0 792 0] >>"
            % (_string(title), root, links, kids[page])
        )
    objects[root - 1] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (
        refs[0],
        refs[-1],
        len(marks),
    )
    return root


def _string(text: str) -> bytes:
    raw = b"".join(_LIGATURES.get(c) or c.encode("cp1252") for c in text)
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
