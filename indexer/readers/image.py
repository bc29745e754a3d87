"""Image files (PNG, JPEG, TIFF, GIF, BMP, WebP) through Pillow: a photo or scan
of a page, each frame of a multi-page TIFF a page of its own, all read by OCR."""

from __future__ import annotations

import io
import math
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from .base import Parsed, ScanTexts, Unreadable, no_scans
from .pdf import MAX_PIXELS, pages_parts
from .scanned import look_up


def read_image(data: bytes, doc: str, scans: ScanTexts = no_scans) -> Parsed:
    """Each page's text as OCR read it; pages not read yet are waiting."""
    count = page_count(data, doc)
    found = look_up(range(1, count + 1), scans)
    if not found.texts and not found.waiting:
        why = found.failures[0][1] if found.failures else "no text found on it"
        reason = "OCR failed" if found.failures else "no text"
        raise Unreadable(f"{doc}: an image, and OCR read nothing ({why})", reason)
    pages = [found.texts.get(page, "") for page in range(1, count + 1)]
    return Parsed(
        title="",  # the file's name: an image has no title of its own
        parts=tuple(pages_parts(pages, set(found.texts))),
        page_labels=tuple(str(n) for n in range(1, count + 1)),
        notes=tuple(found.notes(doc)),
        blank_pages=count,
        ocr_pages=tuple(sorted(found.texts)),
        waiting=found.waiting,
    )


def page_count(data: bytes, doc: str) -> int:
    """The pages of an image: a TIFF's frames, else one (a GIF's or WebP's frames are
    an animation, a phone JPEG's second frame a preview); Unreadable when it is no
    image Pillow knows."""
    with _open(data, doc) as image:
        return max(1, getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1


def page_image(data: bytes, page: int) -> bytes:
    """Page `page` (1-based) in grey, upright and at most MAX_PIXELS, as PGM bytes."""
    with _open(data, "") as image, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image.seek(page - 1)
        frame = ImageOps.exif_transpose(image)  # a phone's photo, as it was held
        frame = frame.convert("L")
        pixels = frame.width * frame.height
        if pixels > MAX_PIXELS:
            shrink = math.sqrt(MAX_PIXELS / pixels)
            frame = frame.resize((int(frame.width * shrink), int(frame.height * shrink)))
        out = io.BytesIO()
        frame.save(out, format="PPM")
        return out.getvalue()


def _open(data: bytes, doc: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 megapixels (a decompression bomb?); such pages are
            # shrunk before OCR, and twice that is refused below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise Unreadable(
            f"{doc}: image too large to read (over 178 megapixels)", "too large"
        ) from None
    except UnidentifiedImageError:
        raise Unreadable(f"{doc}: damaged image, or of a kind not read", "damaged") from None
    except (OSError, ValueError) as exc:
        raise Unreadable(f"{doc}: damaged image ({exc})", "damaged") from None
