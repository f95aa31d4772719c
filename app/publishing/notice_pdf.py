"""Food-sampling result notices (公告) as A4 landscape PDFs with a QR code on every row."""

import io
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from app.sampling.labels import cjk_font

PAGE_SIZE = landscape(A4)
MARGIN = 10 * mm
FOOTER_HEIGHT = 8 * mm  # room under the frame for the footer line
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN

STATEMENT = "以下信息仅指本次抽检标称的生产企业相关产品的生产日期/批号和所检项目。"
EMPTY_CELL = "/"
FAILED_ITEMS_HEADER = "不合格项目║检验结果║标准值"
QR_HEADER = "扫码查询"
NOTICE_QR_CAPTION = "扫码核验本公告真伪"
NO_PASSED = "本期无合格产品。"
NO_FAILED = "本期无不合格产品。"
NO_ITEMS_EXPLANATION = "本期无检验项目说明。"

QR_LEVEL = "M"
QR_QUIET_MODULES = 4  # the quiet zone the QR standard asks for, drawn inside the QR box
# The rows' codes skip the widget's search for the best mask pattern (see draw_qr). 600 codes
# at 14 mm all decoded at 150 dpi and up whichever the pattern; at 100 dpi, where a third stop
# decoding, this fixed pattern did no worse than the best pattern chosen code by code.
ROW_QR_MASK = 4
ROW_QR_SIZE = 14 * mm  # quiet zone included
NOTICE_QR_SIZE = 25 * mm
QR_CELL_PADDING = 1 * mm

BODY_SIZE, BODY_LEADING = 6.5, 8  # table cells
TEXT_SIZE, TEXT_LEADING = 10, 15  # introduction, statement, explanations
CELL_PADDING = 1.5  # points, left/right/top/bottom of the text cells
GRID_WIDTH = 0.4
SECTION_MIN_SPACE = 60 * mm  # a section heading, its table's header and a couple of rows
HEADER_GREY = colors.Color(0.9, 0.9, 0.9)


@dataclass(frozen=True)
class NoticeRow:
    """One sample as published; empty strings are printed as "/"."""

    sample_number: str  # 抽样编号
    producer_name: str  # 标称生产企业名称
    producer_address: str  # 标称生产企业地址
    business_name: str  # 被抽样单位名称
    business_address: str  # 被抽样单位地址
    food_name: str  # 食品名称
    specification: str  # 规格型号
    brand: str  # 商标
    batch: str  # 生产日期/批号
    category: str  # 分类
    task_source: str  # 任务来源/项目名称
    lab: str  # 检验机构
    remark: str  # 备注
    failed_items: str  # "项目║结果║标准值" joined by "；"; empty for passes
    url: str  # the row's QR target


@dataclass(frozen=True)
class NoticeData:
    """A whole notice: its heading, the passed and failed samples and the explanations."""

    number: str  # e.g. "新乡市市场监督管理局食品安全抽检信息公告 2026年第3期"
    title: str
    published_on: date
    task_source: str
    introduction: str
    passed: list[NoticeRow]
    failed: list[NoticeRow]
    items_explanation: str  # 检验项目说明
    verify_url: str  # the notice's verification page (its own QR)
    supersedes_number: str | None = None  # the notice a correction (更正公告) corrects


@dataclass(frozen=True)
class _Column:
    header: str
    value: Callable[[NoticeRow], str]
    weight: float  # share of the table width


_SERIAL = _Column("序号", lambda row: "", 3)  # filled from the row's position
_QR = _Column(QR_HEADER, lambda row: row.url, 0)  # fixed width, see _column_widths
_LEADING_COLUMNS = [
    _SERIAL,
    _Column("抽样编号", lambda row: row.sample_number, 9),
    _Column("标称生产企业名称", lambda row: row.producer_name, 9),
    _Column("标称生产企业地址", lambda row: row.producer_address, 10),
    _Column("被抽样单位名称", lambda row: row.business_name, 9),
    _Column("被抽样单位地址", lambda row: row.business_address, 10),
    _Column("食品名称", lambda row: row.food_name, 6),
    _Column("规格型号", lambda row: row.specification, 5),
    _Column("商标", lambda row: row.brand, 4),
    _Column("生产日期/批号", lambda row: row.batch, 6.5),
    _Column("分类", lambda row: row.category, 5.5),
]
_FAILED_ITEMS = _Column(FAILED_ITEMS_HEADER, lambda row: row.failed_items, 16)
_TRAILING_COLUMNS = [
    _Column("检验机构", lambda row: row.lab, 7.5),
    _Column("备注", lambda row: row.remark, 5),
    _QR,
]
PASSED_COLUMNS = [*_LEADING_COLUMNS, *_TRAILING_COLUMNS]
FAILED_COLUMNS = [*_LEADING_COLUMNS, _FAILED_ITEMS, *_TRAILING_COLUMNS]


def render_notice(data: NoticeData, font_path: str | None = None) -> bytes:
    """The notice as an A4 landscape PDF, all text in the embedded CJK font.

    Every row carries a small QR code of its `url`; the heading carries the notice's own QR
    code of `verify_url`; every page is footed with the notice number and "第 x 页 共 y 页"."""
    return _render(data, font_path, row_qr=True)


def _render(data: NoticeData, font_path: str | None, row_qr: bool) -> bytes:
    """`render_notice`, optionally without the rows' QR codes (to benchmark what they cost)."""
    font = cjk_font(font_path)[0]
    styles = _Styles(font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=data.number,
        subject=data.title,
        creator="你点我检",
        initialFontName=font,
    )
    canvasmaker = partial(_NumberedCanvas, footer=data.number, font=font)
    doc.build(_story(data, styles, row_qr), canvasmaker=canvasmaker)
    return buffer.getvalue()


class _Styles:
    """The paragraph styles of a notice, all in `font` and wrapping Chinese text anywhere."""

    def __init__(self, font: str) -> None:
        base = ParagraphStyle("notice", fontName=font, wordWrap="CJK")
        self.font = font
        self.number = ParagraphStyle("number", base, fontSize=12, leading=18, alignment=TA_CENTER)
        self.title = ParagraphStyle(
            "title", base, fontSize=18, leading=26, alignment=TA_CENTER, spaceBefore=2
        )
        self.meta = ParagraphStyle("meta", base, fontSize=10, leading=15, alignment=TA_CENTER)
        self.caption = ParagraphStyle("caption", base, fontSize=7, leading=9, alignment=TA_CENTER)
        self.text = ParagraphStyle(
            "text",
            base,
            fontSize=TEXT_SIZE,
            leading=TEXT_LEADING,
            firstLineIndent=2 * TEXT_SIZE,
            spaceBefore=3,
        )
        self.section = ParagraphStyle(
            "section", base, fontSize=13, leading=19, spaceBefore=10, spaceAfter=4
        )
        self.cell = ParagraphStyle(
            "cell", base, fontSize=BODY_SIZE, leading=BODY_LEADING, alignment=TA_LEFT
        )
        self.header = ParagraphStyle(
            "header", base, fontSize=BODY_SIZE, leading=BODY_LEADING, alignment=TA_CENTER
        )


def _story(data: NoticeData, styles: _Styles, row_qr: bool) -> list[Flowable]:
    story: list[Flowable] = [_heading(data, styles)]
    if data.supersedes_number:
        story.append(
            Paragraph(
                _markup(f"本公告为更正公告，更正《{data.supersedes_number}》，原公告同时保留。"),
                styles.text,
            )
        )
    story += _paragraphs(data.introduction, styles.text)
    story.append(Paragraph(_markup(STATEMENT), styles.text))

    story += _section(
        "一、合格产品信息", data.passed, PASSED_COLUMNS, NO_PASSED, data, styles, row_qr
    )
    story += _section(
        "二、不合格产品信息", data.failed, FAILED_COLUMNS, NO_FAILED, data, styles, row_qr
    )
    story.append(Paragraph("三、检验项目说明", styles.section))
    story += _paragraphs(data.items_explanation, styles.text) or [
        Paragraph(NO_ITEMS_EXPLANATION, styles.text)
    ]
    return story


def _heading(data: NoticeData, styles: _Styles) -> Flowable:
    """Number, title, date and task source centred; the notice's QR code to the right."""
    published = data.published_on
    meta = f"发布日期：{published.year}年{published.month}月{published.day}日"
    if data.task_source.strip():
        meta += f"　　任务来源：{data.task_source.strip()}"
    text = [
        Paragraph(_markup(data.number), styles.number),
        Paragraph(_markup(data.title), styles.title),
        Paragraph(_markup(meta), styles.meta),
    ]
    qr_column = NOTICE_QR_SIZE + 6 * mm
    qr = [QrFlowable(data.verify_url, NOTICE_QR_SIZE), Paragraph(NOTICE_QR_CAPTION, styles.caption)]
    return Table(
        [["", text, qr]],
        colWidths=[qr_column, FRAME_WIDTH - 2 * qr_column, qr_column],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles.font),  # else the empty cell is Helvetica
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (2, 0), (2, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _section(
    heading: str,
    rows: Sequence[NoticeRow],
    columns: Sequence[_Column],
    when_empty: str,
    data: NoticeData,
    styles: _Styles,
    row_qr: bool,
) -> list[Flowable]:
    """A section heading and its table, or a line saying there is nothing to list.

    The heading starts a new page when its table's header and first rows would not follow it
    on this one (keepWithNext would move the whole table, which never fits, to a new page)."""
    title = Paragraph(heading, styles.section)
    if not rows:
        return [CondPageBreak(SECTION_MIN_SPACE), title, Paragraph(when_empty, styles.text)]
    return [
        CondPageBreak(SECTION_MIN_SPACE),
        title,
        _rows_table(rows, columns, data, styles, row_qr),
    ]


def _rows_table(
    rows: Sequence[NoticeRow],
    columns: Sequence[_Column],
    data: NoticeData,
    styles: _Styles,
    row_qr: bool,
) -> Table:
    """The rows under a header repeated on every page; a LongTable, so splitting it over many
    pages measures only the rows that fit rather than all the rows left, page after page."""
    widths = _column_widths(columns)
    qr_width = widths[-1] - 2 * QR_CELL_PADDING
    header = [Paragraph(column.header, styles.header) for column in columns]
    body: list[list[Any]] = []
    for serial, row in enumerate(rows, start=1):
        cells: list[Any] = [str(serial)]
        for column in columns[1:-1]:
            cells.append(_cell(_cell_text(column, row, data), styles.cell))
        cells.append(QrFlowable(row.url, qr_width, ROW_QR_MASK) if row_qr else "")
        body.append(cells)
    last = len(columns) - 1
    return LongTable(
        [header, *body],
        colWidths=widths,
        repeatRows=1,
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles.font),
                ("FONTSIZE", (0, 0), (-1, -1), BODY_SIZE),
                ("LEADING", (0, 0), (-1, -1), BODY_LEADING),
                ("GRID", (0, 0), (-1, -1), GRID_WIDTH, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("ALIGN", (last, 0), (last, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("LEFTPADDING", (last, 1), (last, -1), QR_CELL_PADDING),
                ("RIGHTPADDING", (last, 1), (last, -1), QR_CELL_PADDING),
                ("TOPPADDING", (last, 1), (last, -1), QR_CELL_PADDING),
                ("BOTTOMPADDING", (last, 1), (last, -1), QR_CELL_PADDING),
            ]
        ),
    )


def _column_widths(columns: Sequence[_Column]) -> list[float]:
    """The QR column just fits its code; the others share the rest by weight."""
    qr_width = ROW_QR_SIZE + 2 * QR_CELL_PADDING
    rest = FRAME_WIDTH - qr_width
    total = sum(column.weight for column in columns)
    return [qr_width if column is _QR else rest * column.weight / total for column in columns]


def _cell_text(column: _Column, row: NoticeRow, data: NoticeData) -> str:
    """A cell's text as markup; several failed items go on lines of their own, and a row from
    another task than the notice's names its task in the remark."""
    text = column.value(row).strip()
    if column is _FAILED_ITEMS:
        items = [item.strip() for item in text.split("；") if item.strip()]
        return "；<br/>".join(_markup(item) for item in items)
    if column.header == "备注":
        task = row.task_source.strip()
        if task and task != data.task_source.strip():
            text = f"{text}；任务来源：{task}" if text else f"任务来源：{task}"
    return _markup(text)


def _cell(markup: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup or EMPTY_CELL, style)


def _markup(text: str) -> str:
    """Plain text as paragraph markup: XML characters escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in text.strip().splitlines())


def _paragraphs(text: str, style: ParagraphStyle) -> list[Flowable]:
    """One paragraph per non-blank line of `text`."""
    return [Paragraph(escape(line.strip()), style) for line in text.splitlines() if line.strip()]


class QrFlowable(Flowable):
    """A square vector QR code of `url`, quiet zone included, level M.

    Holds only the URL until drawn, so a table of a thousand rows stays light: the code is
    encoded once, when its cell is drawn. `mask` as in `draw_qr`."""

    def __init__(self, url: str, size: float, mask: int | None = None) -> None:
        super().__init__()
        self.url = url
        self.mask = mask
        self.width = self.height = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        draw_qr(self.canv, self.url, 0, 0, self.width, self.mask)


def draw_qr(
    canvas: Canvas, url: str, x: float, y: float, size: float, mask: int | None = None
) -> None:
    """A vector QR code of `url` filling the square at (x, y), quiet zone included.

    reportlab's QR widget encodes. With `mask` None it scores all eight mask patterns and takes
    the best, as the widget does; that is four fifths of the time a code takes, so the rows'
    codes use one fixed pattern instead (any pattern is valid QR: the code says which it uses).
    The dark runs are filled as one path in whole modules (formatting thousands of coordinates
    as reportlab does would cost more than encoding): small page content, no seams between
    modules, and no text drawn, so no font is pulled in."""
    code = QrCodeWidget(url, barLevel=QR_LEVEL, barBorder=QR_QUIET_MODULES).qr
    if mask is None:
        code.make()
    else:
        code.version = code.calculate_version()
        code.makeImpl(False, mask)
    count = code.getModuleCount()
    module = size / (count + 2 * QR_QUIET_MODULES)
    runs = []  # "x y width height re" in modules, from the top left corner, y downwards
    for row_index, row in enumerate(code.modules):
        column = QR_QUIET_MODULES
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                runs.append(f"{column} {row_index + QR_QUIET_MODULES} {length} 1 re")
            column += length
    canvas.saveState()
    canvas.translate(x, y + size)
    canvas.scale(module, -module)
    canvas.setFillColor(colors.black)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages back until saved, then foots each with the notice number
    and "第 x 页 共 y 页", now that the page count is known."""

    def __init__(self, *args: Any, footer: str, font: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._footer_font = font
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        width = PAGE_SIZE[0]
        y = MARGIN
        self.saveState()
        self.setFont(self._footer_font, 8)
        self.setLineWidth(GRID_WIDTH)
        self.line(MARGIN, y + 10, width - MARGIN, y + 10)
        self.drawString(MARGIN, y, self._footer)
        self.drawRightString(width - MARGIN, y, f"第 {number} 页 共 {total} 页")
        self.restoreState()
