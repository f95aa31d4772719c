"""Label PDFs read back: every QR decodes to its URL, the font is embedded, the text is there."""

import io
import logging
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.sampling.labels import (
    A4_COLUMNS,
    A4_ROWS,
    ELLIPSIS,
    FALLBACK_FONT,
    LabelData,
    cjk_font,
    display_code,
    fit_text,
    render_labels,
)

needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler-utils (CI installs it)"
)
needs_pdffonts = pytest.mark.skipif(
    shutil.which("pdffonts") is None, reason="needs poppler-utils (CI installs it)"
)

BASE_URL = "http://127.0.0.1:5000/t/"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LONG_VENUE = "新乡市红旗区东关农贸市场北区三号门内第十二号摊位（张记蔬菜批发零售）"


def make_label(code: str, portion: str = "检验样品", **overrides) -> LabelData:
    fields = {
        "code": code,
        "url": BASE_URL + code,
        "food": "韭菜",
        "venue": "红旗区东关农贸市场",
        "sampled_on": date(2026, 1, 15),
        "portion": portion,
        "official_number": "DC26410700000123",
    } | overrides
    return LabelData(**fields)


def sample_labels() -> list[LabelData]:
    """The test and backup portions of one sample."""
    return [
        make_label("7KQ3M9XW2H", "检验样品"),
        make_label("P4TR8N2VQC", "备份样品", venue=LONG_VENUE, official_number=None),
    ]


def sheet_labels(count: int) -> list[LabelData]:
    """`count` labels with distinct codes, portions alternating."""
    labels = []
    for index in range(count):
        code = "SHEET" + "".join(CODE_ALPHABET[(index * 7 + shift) % 30] for shift in range(5))
        labels.append(make_label(code, ("检验样品", "备份样品")[index % 2]))
    return labels


def write_pdf(tmp_path: Path, pdf: bytes) -> Path:
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf)
    return path


def decoded_qr_texts(pdf_path: Path) -> list[list[str]]:
    """The QR texts found on each page, rasterised at 300 dpi."""
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(pdf_path), str(pdf_path.with_suffix(""))],
        check=True,
    )
    pages = []
    for png in sorted(pdf_path.parent.glob(pdf_path.stem + "-*.png")):
        with Image.open(png) as image:
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        pages.append([result.text for result in results])
    return pages


def pdf_fonts(pdf_path: Path) -> list[dict[str, str]]:
    """`pdffonts` rows as {column: value}; the dashed rule under the header gives the columns."""
    output = subprocess.run(
        ["pdffonts", str(pdf_path)], check=True, capture_output=True, text=True
    ).stdout
    header, rule, *rows = output.splitlines()
    spans = [match.span() for match in re.finditer(r"-+", rule)]
    columns = [header[start:end].strip() for start, end in spans]
    return [
        {
            column: row[start:end].strip()
            for column, (start, end) in zip(columns, spans, strict=True)
        }
        for row in rows
    ]


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_display_code_groups_in_fives():
    assert display_code("7KQ3M9XW2H") == "7KQ3M-9XW2H"


@needs_pdftoppm
def test_sticker_qr_codes_decode_to_their_urls(tmp_path):
    labels = sample_labels()
    pdf_path = write_pdf(tmp_path, render_labels(labels, "sticker"))

    pages = decoded_qr_texts(pdf_path)

    assert pages == [[label.url] for label in labels]
    page = PdfReader(pdf_path).pages[0]
    assert float(page.mediabox.width) == pytest.approx(50 * mm)
    assert float(page.mediabox.height) == pytest.approx(30 * mm)


@needs_pdftoppm
def test_a4_sheet_qr_codes_decode_to_their_urls(tmp_path):
    labels = sheet_labels(30)
    pdf_path = write_pdf(tmp_path, render_labels(labels, "a4"))

    pages = decoded_qr_texts(pdf_path)

    per_page = A4_COLUMNS * A4_ROWS
    assert len(pages) == 2
    assert [len(texts) for texts in pages] == [per_page, 30 - per_page]
    assert {text for texts in pages for text in texts} == {label.url for label in labels}
    page = PdfReader(pdf_path).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4)


@needs_pdffonts
@pytest.mark.parametrize("layout", ["sticker", "a4"])
def test_only_the_embedded_cjk_font_is_used(tmp_path, layout):
    pdf_path = write_pdf(tmp_path, render_labels(sample_labels(), layout))

    fonts = pdf_fonts(pdf_path)

    assert any("WenQuanYi" in font["name"] and font["emb"] == "yes" for font in fonts), fonts
    assert all(font["emb"] == "yes" for font in fonts), fonts


def test_sticker_text():
    first, second = pdf_text(render_labels(sample_labels(), "sticker"))

    for expected in ("7KQ3M-9XW2H", "检验样品", "韭菜", "红旗区东关农贸市场", "2026-01-15"):
        assert expected in first
    assert "DC26410700000123" in first
    for expected in ("P4TR8-N2VQC", "备份样品", "韭菜", "2026-01-15"):
        assert expected in second
    assert ELLIPSIS in second  # the long venue was cut short
    assert "DC" not in second  # no official number, no line for it


def test_a4_text_and_title():
    pdf = render_labels(sheet_labels(3), "a4")

    (text,) = pdf_text(pdf)
    for expected in ("SHEET", "检验样品", "备份样品", "韭菜", "2026-01-15"):
        assert expected in text
    assert display_code(sheet_labels(3)[2].code) in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "样品标签"


@pytest.mark.parametrize(
    ("text", "shrunk", "cut"),
    [
        ("红旗区东关农贸市场", False, False),
        ("红旗区东关农贸市场北区", True, False),
        (LONG_VENUE, True, True),
    ],
    ids=["fits", "shrunk", "cut"],
)
def test_fit_text_never_overflows(text, shrunk, cut):
    font = cjk_font(None)[0]
    max_width = 25 * mm

    fitted, size = fit_text(text, font, max_width, size=7, min_size=6)

    assert stringWidth(fitted, font, size) <= max_width
    assert 6 <= size <= 7
    assert (size < 7) is shrunk
    if cut:
        assert fitted.endswith(ELLIPSIS)
        assert LONG_VENUE.startswith(fitted.removesuffix(ELLIPSIS))
        assert size == 6
    else:
        assert fitted == text


def test_fit_text_gives_up_when_not_even_the_ellipsis_fits():
    assert fit_text(LONG_VENUE, cjk_font(None)[0], 1, size=7, min_size=6) == ("", 6)


def test_cjk_font_is_registered_once():
    assert cjk_font(None) == cjk_font(None)
    name, embedded = cjk_font(None)
    assert embedded and name != FALLBACK_FONT


def test_missing_font_falls_back_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="app.sampling.labels"):
        assert cjk_font("/nonexistent.ttf") == (FALLBACK_FONT, False)
    assert any(
        record.levelno == logging.WARNING and "/nonexistent.ttf" in record.getMessage()
        for record in caplog.records
    )
    # The fallback still renders: the labels just rely on the reader's font.
    (text, _) = pdf_text(render_labels(sample_labels(), "sticker", "/nonexistent.ttf"))
    assert "检验样品" in text


@pytest.mark.parametrize(
    ("labels", "layout"), [(sample_labels(), "roll"), ([], "sticker")], ids=["layout", "empty"]
)
def test_refuses_unknown_layout_and_no_labels(labels, layout):
    with pytest.raises(ValueError):
        render_labels(labels, layout)
