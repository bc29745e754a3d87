"""Bytes to text: the encodings people's text files come in."""

from __future__ import annotations

import re

import charset_normalizer

from .base import Unreadable

# UTF-32 first: its little-endian BOM starts like UTF-16's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Control characters (terminal escapes among them) are not text: they would
# reach readers' terminals through `seedsearch search`.
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode(data: bytes, doc: str) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 with BOM, else a confident guess."""
    if not data.strip():
        raise Unreadable(f"{doc}: empty file", "empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return clean(data.decode(encoding))
            except UnicodeDecodeError:
                raise Unreadable(f"{doc}: invalid {encoding.upper()}", "bad encoding") from None
    head = data[:8192]
    if b"\x00" in head:
        raise Unreadable(f"{doc}: binary file", "binary file")
    try:
        return clean(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    encoding = _guess_encoding(data[:200_000])
    if encoding is None:
        raise Unreadable(
            f"{doc}: not UTF-8 and its encoding could not be detected", "unknown encoding"
        )
    text = data.decode(encoding, errors="replace")
    controls = sum(1 for c in text[:8192] if c < " " and c not in "\n\r\t\f")
    if controls > len(text[:8192]) / 100:
        raise Unreadable(f"{doc}: binary file", "binary file")
    return clean(text)


def _guess_encoding(data: bytes) -> str | None:
    """A confident guess; among equally good guesses, windows-1252 wins, as in
    browsers, since Western European text is the commonest legacy case."""
    matches = [m for m in charset_normalizer.from_bytes(data) if m.chaos <= 0.1]
    if not matches:
        return None
    best = (matches[0].chaos, -matches[0].coherence)
    tied = [m for m in matches if (m.chaos, -m.coherence) == best]
    if any("cp1252" in m.could_be_from_charset for m in tied):
        return "cp1252"
    return tied[0].encoding


def clean(text: str) -> str:
    """LF newlines, no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return CONTROLS.sub(" ", text)


def squash(text: str) -> str:
    """Runs of whitespace as one space, none at the ends."""
    return " ".join(text.split())
