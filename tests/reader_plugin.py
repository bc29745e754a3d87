"""Readers only the tests register, for files no real reader should meet: one
that crashes as native code does, one that never finishes, one that grows
without bound, and ones that change or delete their file while reading it.

They are a plugin package written into a folder the tests put on PYTHONPATH,
declared under the `seedsearch.readers` entry point as any installed package
declares its readers; a `seedsearch` started with that PYTHONPATH finds them.
Each notes the file it reads in a log, so that a test can count the reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MODULE = "seedsearch_test_readers"

SOURCE = '''
"""Test readers; see tests/reader_plugin.py."""

import os
import signal
import time

from indexer.readers import Reader
from indexer.readers.base import Parsed, Part

LOG = {log!r}
SOURCE = {source!r}


def _note(doc):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(doc + "\\n")


def _reads(doc):
    with open(LOG, encoding="utf-8") as log:
        return sum(1 for line in log if line.rstrip("\\n") == doc)


def _text(data):
    title, _, body = data.decode("utf-8").partition("\\n\\n")
    return Parsed(title, tuple(Part(p) for p in body.split("\\n\\n") if p.strip()))


def crash(data, doc):
    """Dies by SIGSEGV, as a native library does on a bad pointer."""
    _note(doc)
    os.kill(os.getpid(), signal.SIGSEGV)


def stop(data, doc):
    """Dies by SIGTERM, as every process does when a service manager stops them all."""
    _note(doc)
    os.kill(os.getpid(), signal.SIGTERM)


def hang(data, doc):
    """Never finishes."""
    _note(doc)
    while True:
        time.sleep(1)


def grow(data, doc):
    """Takes memory without bound."""
    _note(doc)
    hoard = []
    while True:
        hoard.append(bytearray(1 << 24))


def edit(data, doc):
    """Rewrites its file the first time it reads it, as an editor saving it would."""
    _note(doc)
    if _reads(doc) == 1:
        with open(os.path.join(SOURCE, doc), "a", encoding="utf-8") as file:
            file.write("\\n\\nA paragraph added while it was read.")
    return _text(data)


def churn(data, doc):
    """Changes its file every time it reads it: a file that never settles."""
    _note(doc)
    with open(os.path.join(SOURCE, doc), "a", encoding="utf-8") as file:
        file.write(".")
    return _text(data)


def vanish(data, doc):
    """Deletes its file while reading it."""
    _note(doc)
    os.unlink(os.path.join(SOURCE, doc))
    return _text(data)


def note(data, doc):
    """A reader that behaves: a title, then paragraphs."""
    _note(doc)
    return _text(data)


crashing = Reader("crash", crash, 10)
stopping = Reader("stop", stop, 10)
hanging = Reader("hang", hang, 10)
growing = Reader("grow", grow, 10)
editing = Reader("edit", edit, 10)
churning = Reader("churn", churn, 10)
vanishing = Reader("vanish", vanish, 10)
noting = Reader("note", note, 10)
'''

ENTRY_POINTS = f"""[seedsearch.readers]
.crash = {MODULE}:crashing
.stop = {MODULE}:stopping
.hang = {MODULE}:hanging
.grow = {MODULE}:growing
.edit = {MODULE}:editing
.churn = {MODULE}:churning
.vanish = {MODULE}:vanishing
.note = {MODULE}:noting
"""


@dataclass(frozen=True)
class Plugin:
    """The plugin's folder and the log its readers write."""

    folder: Path
    log: Path

    def env(self) -> dict[str, str]:
        """The environment of a `seedsearch` that finds these readers."""
        path = os.pathsep.join(filter(None, [str(self.folder), os.environ.get("PYTHONPATH")]))
        return {**os.environ, "PYTHONPATH": path}

    def reads(self) -> list[str]:
        """The files read so far, in the order they were read."""
        return self.log.read_text("utf-8").splitlines()


def install(folder: Path, source: Path) -> Plugin:
    """Write the plugin into `folder`; its readers change files under `source`."""
    log = folder / "reads.log"
    dist = folder / f"{MODULE}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {MODULE}\nVersion: 1.0\n", "utf-8"
    )
    (dist / "entry_points.txt").write_text(ENTRY_POINTS, "utf-8")
    module = SOURCE.format(log=str(log), source=str(source))
    (folder / f"{MODULE}.py").write_text(module, "utf-8")
    log.write_text("", "utf-8")
    return Plugin(folder, log)
