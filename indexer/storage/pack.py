"""The pack file: named numpy arrays in one file, memory-mapped when read.

Layout (all integers little-endian):

    header   8 bytes  b"SSPACK" + format version (uint16)
    arrays   each starts on a 64-byte boundary, raw little-endian data
    directory  JSON: {"arrays": {name: [dtype, length, offset]}, "meta": {...}}
    footer   32 bytes: b"SSPKEND!", directory offset (uint64), directory length
             (uint64), CRC-32 of the directory (uint32), format version (uint32)

A reader checks the footer, the directory's checksum and that every array lies
inside the file before it hands out a single view, so a truncated or damaged
file is refused at open (PackError), never half-read.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import struct
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

VERSION = 1
HEADER = b"SSPACK" + struct.pack("<H", VERSION)
FOOTER = struct.Struct("<8sQQII")
FOOTER_MAGIC = b"SSPKEND!"
ALIGN = 64
# Only plain numeric arrays: a directory can never make the reader build objects.
DTYPES = frozenset({"|u1", "<u2", "<u4", "<u8", "<i8", "<f4", "<f8"})


class PackError(ValueError):
    """A pack file that is truncated, damaged or of another version."""


def write_pack(fileobj, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> int:
    """Write `arrays` and `meta` to a binary file object; return the bytes written."""
    fileobj.write(HEADER)
    offset = len(HEADER)
    directory: dict[str, list] = {}
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if dtype.str not in DTYPES:
            raise TypeError(f"pack array {name!r} has unsupported dtype {array.dtype}")
        pad = -offset % ALIGN
        fileobj.write(b"\0" * pad)
        offset += pad
        data = array.astype(dtype.str, copy=False).tobytes()
        fileobj.write(data)
        directory[name] = [dtype.str, int(array.size), offset]
        offset += len(data)
    raw = json.dumps({"arrays": directory, "meta": dict(meta)}, separators=(",", ":")).encode()
    fileobj.write(raw)
    fileobj.write(FOOTER.pack(FOOTER_MAGIC, offset, len(raw), zlib.crc32(raw), VERSION))
    return offset + len(raw) + FOOTER.size


class Pack:
    """An open pack file: its arrays as read-only views of one memory map."""

    def __init__(self, buffer, size: int, name: str = "pack") -> None:
        self.name = name
        self._buffer = buffer
        self._arrays: dict[str, np.ndarray] = {}
        self.meta, self._directory = _read_directory(buffer, size, name)

    @classmethod
    def open(cls, storage, filename: str) -> Pack:
        """Map `filename` of a Whoosh storage (read into memory if it has no folder)."""
        folder = getattr(storage, "folder", None)
        if folder is None:
            with storage.open_file(filename) as f:
                data = f.read()
            return cls(data, len(data), filename)
        path = os.path.join(folder, filename)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < len(HEADER) + FOOTER.size:
                raise PackError(f"{filename}: {size} bytes is too short for a pack file")
            buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if hasattr(mmap, "MADV_WILLNEED"):
            # Ask the kernel to read the file in now, in the background: the first
            # searches find it in memory instead of waiting for the disk.
            buffer.madvise(mmap.MADV_WILLNEED)
        return cls(buffer, size, filename)

    def __contains__(self, name: str) -> bool:
        return name in self._directory

    def array(self, name: str) -> np.ndarray:
        """The named array (a zero-copy, read-only view)."""
        found = self._arrays.get(name)
        if found is None:
            dtype, count, offset = self._directory[name]
            found = np.frombuffer(self._buffer, dtype=dtype, count=count, offset=offset)
            self._arrays[name] = found
        return found

    def names(self) -> list[str]:
        return list(self._directory)

    def get(self, name: str) -> np.ndarray | None:
        return self.array(name) if name in self._directory else None

    def close(self) -> None:
        self._arrays.clear()
        if isinstance(self._buffer, mmap.mmap):
            # Views still in use keep the map alive; it goes when they do.
            with contextlib.suppress(BufferError):
                self._buffer.close()


def _read_directory(buffer, size: int, name: str) -> tuple[dict, dict]:
    if size < len(HEADER) + FOOTER.size or bytes(buffer[: len(HEADER)]) != HEADER:
        raise PackError(f"{name}: not a pack file of version {VERSION}")
    magic, offset, length, crc, version = FOOTER.unpack_from(buffer, size - FOOTER.size)
    if magic != FOOTER_MAGIC or version != VERSION:
        raise PackError(f"{name}: the pack file's footer is damaged (truncated?)")
    if offset + length + FOOTER.size != size:
        raise PackError(f"{name}: the pack file's directory does not fit the file")
    raw = bytes(buffer[offset : offset + length])
    if zlib.crc32(raw) != crc:
        raise PackError(f"{name}: the pack file's directory is damaged")
    try:
        parsed = json.loads(raw)
        meta, directory = parsed["meta"], parsed["arrays"]
        for array_name, (dtype, count, start) in directory.items():
            if dtype not in DTYPES or count < 0 or start < len(HEADER):
                raise PackError(f"{name}: bad entry for array {array_name!r}")
            if start + count * np.dtype(dtype).itemsize > offset:
                raise PackError(f"{name}: array {array_name!r} runs past the data")
    except (ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, PackError):
            raise
        raise PackError(f"{name}: the pack file's directory is damaged ({exc})") from None
    return meta, directory
