"""QR labels for sample portions as PDF: one sticker per page, or an A4 sheet to cut."""

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

logger = logging.getLogger(__name__)

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FALLBACK_FONT = "STSong-Light"
EMBEDDED_FONT = "LabelCJK"
ELLIPSIS = "…"

LAYOUTS = ("sticker", "a4")
STICKER_SIZE = (50 * mm, 30 * mm)
# An A4 sheet: 3 columns x 9 rows of 64 x 30 mm cells, centred (9 mm side margins).
A4_COLUMNS, A4_ROWS = 3, 9
A4_CELL = (64 * mm, 30 * mm)

PADDING = 1.5 * mm
CODE_ROW = 6 * mm  # the grouped code runs along the bottom, under the QR and the text
QR_QUIET_MODULES = 4  # the quiet zone the QR standard asks for, drawn inside the QR box
CODE_SIZE, CODE_MIN_SIZE = 16, 10
# (size, smallest size before truncating, bold) of each line right of the QR, top to bottom.
PORTION_STYLE = (13, 9, True)
FOOD_STYLE = (10, 7, False)
VENUE_STYLE = (7, 6, False)
DATE_STYLE = (7, 6, False)
NUMBER_STYLE = (6, 5, False)
LINE_GAP = 0.35  # space between lines, as a fraction of the upper line's size
BOLD_STROKE = 0.04  # stroke width of bold-ish text, as a fraction of its size
CUT_LINE_WIDTH = 0.3
CUT_LINE_GREY = 0.6

# Font paths registered in this process, and the name each was registered under.
_registered: dict[str, str] = {}


@dataclass(frozen=True)
class LabelData:
    code: str
    url: str
    food: str
    venue: str
    sampled_on: date
    portion: str
    official_number: str | None = None


def display_code(code: str) -> str:
    """The code in groups of five, e.g. "7KQ3M-9XW2H", so it is read out and typed easily."""
    return "-".join(code[start : start + 5] for start in range(0, len(code), 5))


def cjk_font(font_path: str | None = None) -> tuple[str, bool]:
    """Register the CJK font once per process; return its name and whether it is embedded.

    Falls back, with a warning, to the non-embedded STSong-Light when the TrueType font at
    `font_path` (default: WenQuanYi Micro Hei) is missing or unreadable.
    """
    path = font_path or DEFAULT_FONT_PATH
    if path in _registered:
        return _registered[path], True
    name = f"{EMBEDDED_FONT}{len(_registered)}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except (OSError, TTFError) as exc:
        logger.warning(
            "CJK font %s unusable (%s); labels use the non-embedded %s", path, exc, FALLBACK_FONT
        )
        if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        return FALLBACK_FONT, False
    _registered[path] = name
    return name, True


def fit_text(
    text: str, font: str, max_width: float, size: float, min_size: float
) -> tuple[str, float]:
    """Shrink `text` from `size` towards `min_size` until it fits `max_width`; past that, cut
    it short with an ellipsis. Returns the text to draw and its size."""
    width = pdfmetrics.stringWidth(text, font, size)
    if width <= max_width:
        return text, size
    shrunk = int(size * max_width / width * 10) / 10  # round down to 0.1 pt
    if shrunk >= min_size:
        return text, shrunk
    for end in range(len(text) - 1, -1, -1):
        cut = text[:end].rstrip() + ELLIPSIS
        if pdfmetrics.stringWidth(cut, font, min_size) <= max_width:
            return cut, min_size
    return "", min_size


def render_labels(labels: Sequence[LabelData], layout: str, font_path: str | None = None) -> bytes:
    """The labels as PDF: "sticker" puts each on its own 50 x 30 mm page (thermal printers),
    "a4" lays them out 27 to a sheet with cut lines."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown label layout {layout!r}; expected one of {LAYOUTS}")
    if not labels:
        raise ValueError("no labels to render")
    font = cjk_font(font_path)[0]
    buffer = io.BytesIO()
    pagesize = STICKER_SIZE if layout == "sticker" else A4
    canvas = Canvas(buffer, pagesize=pagesize, initialFontName=font)
    canvas.setTitle("样品标签")
    if layout == "sticker":
        for label in labels:
            _draw_label(canvas, label, font, 0, 0, *STICKER_SIZE)
            canvas.showPage()
    else:
        _draw_sheets(canvas, labels, font)
    canvas.save()
    return buffer.getvalue()


def _draw_sheets(canvas: Canvas, labels: Sequence[LabelData], font: str) -> None:
    cell_width, cell_height = A4_CELL
    left = (A4[0] - A4_COLUMNS * cell_width) / 2
    top = (A4[1] + A4_ROWS * cell_height) / 2
    per_page = A4_COLUMNS * A4_ROWS
    for start in range(0, len(labels), per_page):
        for index, label in enumerate(labels[start : start + per_page]):
            row, column = divmod(index, A4_COLUMNS)
            x = left + column * cell_width
            y = top - (row + 1) * cell_height
            canvas.saveState()
            canvas.setLineWidth(CUT_LINE_WIDTH)
            canvas.setStrokeGray(CUT_LINE_GREY)
            canvas.rect(x, y, cell_width, cell_height)
            canvas.restoreState()
            _draw_label(canvas, label, font, x, y, cell_width, cell_height)
        canvas.showPage()


def _draw_label(
    canvas: Canvas, label: LabelData, font: str, x: float, y: float, width: float, height: float
) -> None:
    """One label in the box at (x, y): the QR top left, its text to the right, the code below.

    The QR box carries its own quiet zone, so it reaches the label's top and left edges."""
    qr_size = height - CODE_ROW
    _draw_qr(canvas, label.url, font, x, y + CODE_ROW, qr_size)

    code, code_size = fit_text(
        display_code(label.code), font, width - 2 * PADDING, CODE_SIZE, CODE_MIN_SIZE
    )
    code_width = pdfmetrics.stringWidth(code, font, code_size)
    _draw_text(canvas, code, font, code_size, x + (width - code_width) / 2, y + PADDING, True)

    lines = [
        (label.portion, PORTION_STYLE),
        (label.food, FOOD_STYLE),
        (label.venue, VENUE_STYLE),
        (label.sampled_on.isoformat(), DATE_STYLE),
    ]
    if label.official_number:
        lines.append((label.official_number, NUMBER_STYLE))
    text_x = x + qr_size
    text_width = width - qr_size - PADDING
    baseline = y + height - PADDING
    for text, (size, min_size, bold) in lines:
        fitted, fitted_size = fit_text(text, font, text_width, size, min_size)
        baseline -= size
        _draw_text(canvas, fitted, font, fitted_size, text_x, baseline, bold)
        baseline -= size * LINE_GAP


def _draw_qr(canvas: Canvas, url: str, font: str, x: float, y: float, size: float) -> None:
    """A vector QR code of `url` filling the square at (x, y), quiet zone included.

    The drawing starts in the label font, else it would pull in an unembedded standard font."""
    widget = QrCodeWidget(
        url, barLevel="M", barBorder=QR_QUIET_MODULES, barWidth=size, barHeight=size
    )
    drawing = Drawing(size, size, initialFontName=font)
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _draw_text(
    canvas: Canvas, text: str, font: str, size: float, x: float, y: float, bold: bool
) -> None:
    """One line of text; bold-ish text is filled and stroked, since the font has no bold face."""
    canvas.saveState()
    text_object = canvas.beginText(x, y)
    text_object.setFont(font, size)
    if bold:
        canvas.setLineWidth(size * BOLD_STROKE)
        text_object.setTextRenderMode(2)
    text_object.textOut(text)
    canvas.drawText(text_object)
    canvas.restoreState()
