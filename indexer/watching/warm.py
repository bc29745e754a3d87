"""What the watcher's fork server loads before it forks builds, so that no build pays
for it again: the language model (indexer/detection.py)."""

from __future__ import annotations

from ..detection import preload

preload()
