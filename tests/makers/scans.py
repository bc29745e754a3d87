"""Scans, made as a copier makes them: real text PDF pages (typeset by PDFium in a
system font that has Cyrillic) rendered to images, then saved as image-only PDF
pages (no text layer), PNG or multi-page TIFF."""

from __future__ import annotations

import ctypes
import io
from collections.abc import Collection, Sequence
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

# Debian's fonts-dejavu-core or fonts-liberation (Chromium's fontconfig brings one).
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)
SCAN_DPI = 200  # what the pages are "scanned" at: a copier's default


def font() -> bytes:
    for path in FONTS:
        if Path(path).exists():
            return Path(path).read_bytes()
    raise FileNotFoundError(f"none of {FONTS}: apt-get install fonts-dejavu-core")


def text_pdf(pages: Sequence[Sequence[str]], size: float = 16) -> bytes:
    """A born-digital PDF: each page's lines set top down in one column."""
    pdf = pdfium.PdfDocument.new()
    data = font()
    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    face = pdfium_c.FPDFText_LoadFont(pdf.raw, buffer, len(data), pdfium_c.FPDF_FONT_TRUETYPE, True)
    for lines in pages:
        page = pdf.new_page(612, 792)
        for n, line in enumerate(lines):
            text = pdfium_c.FPDFPageObj_CreateTextObj(pdf.raw, face, size)
            utf16 = (line + "\0").encode("utf-16-le")  # FPDF_WIDESTRING
            chars = ctypes.create_string_buffer(utf16, len(utf16))
            pdfium_c.FPDFText_SetText(text, ctypes.cast(chars, ctypes.POINTER(ctypes.c_ushort)))
            pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 720 - n * size * 1.6)
            pdfium_c.FPDFPage_InsertObject(page.raw, text)
        pdfium_c.FPDFPage_GenerateContent(page.raw)
        page.close()
    out = io.BytesIO()
    pdf.save(out)
    pdfium_c.FPDFFont_Close(face)
    pdf.close()
    return out.getvalue()


def page_images(pdf_data: bytes, dpi: int = SCAN_DPI) -> list[Image.Image]:
    """Each page of a PDF as a grey image, as a scanner sees it."""
    pdf = pdfium.PdfDocument(pdf_data)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in pdf]
    finally:
        pdf.close()


def scan_pdf(pdf_data: bytes, scanned: Collection[int] | None = None, dpi: int = SCAN_DPI) -> bytes:
    """The PDF with the pages at the 0-based indexes in `scanned` (all when None)
    replaced by their images: pages without a text layer."""
    source = pdfium.PdfDocument(pdf_data)
    images = page_images(pdf_data, dpi)
    out_pdf = pdfium.PdfDocument.new()
    for index in range(len(source)):
        if scanned is not None and index not in scanned:
            out_pdf.import_pages(source, [index], index)
            continue
        width, height = source.get_page_size(index)
        page = out_pdf.new_page(width, height)
        picture = pdfium.PdfImage.new(out_pdf)
        picture.set_bitmap(pdfium.PdfBitmap.from_pil(images[index]))
        picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
        page.insert_obj(picture)
        page.gen_content()
        page.close()
    out = io.BytesIO()
    out_pdf.save(out)
    out_pdf.close()
    source.close()
    return out.getvalue()


def scan_image(pdf_data: bytes, fmt: str = "PNG", dpi: int = SCAN_DPI) -> bytes:
    """The PDF's pages as one image file: PNG or JPEG (the first page), TIFF (every page)."""
    images = page_images(pdf_data, dpi)
    out = io.BytesIO()
    if fmt == "TIFF":
        images[0].save(
            out,
            format="TIFF",
            save_all=True,
            append_images=images[1:],
            dpi=(dpi, dpi),
            compression="tiff_deflate",
        )
    else:
        images[0].save(out, format=fmt, dpi=(dpi, dpi))
    return out.getvalue()
