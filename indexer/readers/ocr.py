"""Tesseract, the OCR engine: one page image in, its text out, within a time limit.

The `tesseract` command is run directly (one process per page, its image on
stdin), so a page that hangs or crashes the engine costs that page only.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from functools import partial

from ..processes import die_with_parent
from ..settings import OCR_LANG_ENV, OCR_TIMEOUT_ENV

DEFAULT_LANGS = "eng+rus"  # the first archive's languages
DEFAULT_TIMEOUT = 120.0  # seconds a page may take; a dense 300 dpi page takes 2-10
DPI = 300  # what pages are rendered at, and what Tesseract is told
PROGRAM = "tesseract"
PACKAGE = "tesseract-ocr"  # Debian's package of the engine; languages are PACKAGE-<code>
_LANGS = re.compile(r"[a-z][a-z0-9_]*(?:\+[a-z][a-z0-9_]*)*", re.I)


class OcrUnavailable(Exception):
    """Tesseract, or one of the languages asked for, is not installed."""


@dataclass(frozen=True)
class OcrSettings:
    """How scanned pages are read: on or off, in which languages, how long a page may take."""

    enabled: bool = True
    langs: str = DEFAULT_LANGS  # Tesseract's codes joined by "+": "eng+rus+deu"
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class PageText:
    """What OCR made of one page: its text, or why there is none."""

    text: str | None  # None when the page could not be read
    seconds: float = 0.0  # what it cost
    failure: str = ""  # "timed out after 120 s", "tesseract failed: ..."
    timeout: float = 0.0  # the limit it ran under (a longer one may succeed)


def settings_from(
    enabled: bool = True, langs: str | None = None, timeout: float | None = None
) -> OcrSettings:
    """Settings from options, else SEEDSEARCH_OCR_LANG / SEEDSEARCH_OCR_TIMEOUT, else defaults;
    ValueError with a message for a value that is not one."""
    langs = (langs or os.environ.get(OCR_LANG_ENV, "") or DEFAULT_LANGS).strip()
    if not _LANGS.fullmatch(langs):
        raise ValueError(
            f"OCR languages {langs!r} are not Tesseract language codes joined by '+' "
            "(e.g. eng+rus+deu)."
        )
    if timeout is None:
        raw = os.environ.get(OCR_TIMEOUT_ENV, "").strip()
        try:
            timeout = float(raw) if raw else DEFAULT_TIMEOUT
        except ValueError:
            raise ValueError(f"{OCR_TIMEOUT_ENV}={raw!r} is not a number of seconds.") from None
    if not timeout > 0:
        raise ValueError("The OCR time limit must be more than 0 seconds.")
    return OcrSettings(enabled=enabled, langs=langs, timeout=float(timeout))


def package_of(lang: str) -> str:
    """Debian's package of a Tesseract language: chi_sim is tesseract-ocr-chi-sim."""
    return f"{PACKAGE}-{lang.lower().replace('_', '-')}"


def check(langs: str) -> None:
    """Raise OcrUnavailable, naming the Debian packages to install, unless Tesseract
    and every language of `langs` are installed."""
    wanted = langs.split("+")
    if shutil.which(PROGRAM) is None:
        packages = " ".join([PACKAGE, *(package_of(lang) for lang in wanted)])
        raise OcrUnavailable(
            f"Tesseract is not installed: apt-get install {packages} (or index with --no-ocr)"
        )
    try:
        listed = subprocess.run(
            [PROGRAM, "--list-langs"], capture_output=True, timeout=30, env=_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OcrUnavailable(f"Tesseract does not run ({exc})") from None
    # 'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):', then
    # one a line (on stdout or stderr, by version)
    output = (listed.stdout + b"\n" + listed.stderr).decode("utf-8", "replace").splitlines()
    have = {line.strip() for line in output if line.strip() and not line.startswith("List of")}
    missing = [lang for lang in wanted if lang not in have]
    if missing:
        names = ", ".join(missing)
        packages = " ".join(package_of(lang) for lang in missing)
        noun = "language is" if len(missing) == 1 else "languages are"
        raise OcrUnavailable(
            f"OCR {noun} not installed: {names}; apt-get install {packages} "
            "(or choose others with --ocr-lang)"
        )


def recognize(image: bytes, settings: OcrSettings) -> PageText:
    """The text Tesseract reads on a page image (PNG, PNM, TIFF ... bytes)."""
    started = time.monotonic()
    command = [PROGRAM, "stdin", "stdout", "-l", settings.langs, "--dpi", str(DPI)]
    try:
        done = subprocess.run(
            command,
            input=image,
            capture_output=True,
            timeout=settings.timeout,
            env=_env(),
            # A build killed mid-page takes its Tesseract with it.
            preexec_fn=partial(die_with_parent, signal.SIGKILL, os.getpid()),
        )
    except subprocess.TimeoutExpired:
        return PageText(
            None,
            time.monotonic() - started,
            f"OCR timed out after {settings.timeout:g} s",
            settings.timeout,
        )
    except OSError as exc:
        return PageText(None, time.monotonic() - started, f"tesseract did not run ({exc})")
    seconds = time.monotonic() - started
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1][:200] if lines else f"exit status {done.returncode}"
        return PageText(None, seconds, f"tesseract failed: {why}", settings.timeout)
    return PageText(done.stdout.decode("utf-8", "replace"), seconds, timeout=settings.timeout)


def _env() -> dict[str, str]:
    # One thread per Tesseract: the build already runs one page per core, and
    # Tesseract's own threads on top of that only contend.
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}
