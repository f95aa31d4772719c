"""Notice PDFs read back: footers, headings, every row's cells, embedded fonts, every QR code."""

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, landscape

from app.publishing.notice_pdf import (
    EMPTY_CELL,
    FAILED_COLUMNS,
    NO_FAILED,
    NO_PASSED,
    PASSED_COLUMNS,
    STATEMENT,
    NoticeData,
    NoticeRow,
    render_notice,
)

needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler-utils' pdftoppm (CI installs it)"
)
needs_pdffonts = pytest.mark.skipif(
    shutil.which("pdffonts") is None, reason="needs poppler-utils' pdffonts (CI installs it)"
)

BASE_URL = "http://127.0.0.1:5000/t/"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TASK = "2026年新乡市“你点我检”专项抽检"
OTHER_TASK = "2026年河南省食用农产品专项抽检"
LONG_PRODUCER = (
    "新乡市牧野区王村镇某某某某食品有限责任公司第二分公司（原新乡市红旗区洪门镇食品加工厂）"
)
LONG_ADDRESS = "河南省新乡市红旗区洪门镇小店工业园区纬三路与经五路交叉口向东二百米路北第三幢一楼"
XML_NAME = "A&B <优选> 食品商行"
FAILED_ITEMS = "腐霉利║0.52mg/kg║≤0.2mg/kg；毒死蜱║0.08mg/kg║≤0.02mg/kg"
NOTICE = NoticeData(
    number="新乡市市场监督管理局食品安全抽检信息公告 2026年第3期",
    title="关于2026年第3期食品安全监督抽检信息的公告",
    published_on=date(2026, 3, 5),
    task_source=TASK,
    introduction="近期，新乡市市场监督管理局组织抽检了食用农产品等食品样品。\n现将结果公告如下。",
    passed=[],
    failed=[],
    items_explanation="一、腐霉利\n腐霉利是一种杀菌剂，长期食用超标食品可能对健康有一定影响。",
    verify_url="http://127.0.0.1:5000/notices/2026-3/verify",
)


def code(index: int) -> str:
    """A distinct ten-character sample code for each index."""
    digits = []
    for _ in range(10):
        index, digit = divmod(index, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(reversed(digits))


def make_row(index: int, failed: bool = False) -> NoticeRow:
    """A sample; every seventh has long names to wrap, some leave cells empty."""
    long = index % 7 == 0
    return NoticeRow(
        sample_number=f"DC2641070{index:07d}",
        producer_name=LONG_PRODUCER if long else "河南某某食品有限公司",
        producer_address=LONG_ADDRESS if long else "河南省新乡市红旗区",
        business_name=XML_NAME if index == 3 else f"新乡市红旗区东关农贸市场{index}号摊",
        business_address=LONG_ADDRESS if long else "新乡市红旗区东关农贸市场北区",
        food_name=("韭菜", "鸡蛋", "豇豆")[index % 3],
        specification="500g/袋" if index % 3 == 0 else "",
        brand="某某牌" if index % 4 == 0 else "",
        batch="2026-01-15",
        category="食用农产品",
        task_source=OTHER_TASK if index == 5 else TASK,
        lab="新乡市食品药品检验所",
        remark="复检" if index % 10 == 0 else "",
        failed_items=FAILED_ITEMS if failed else "",
        url=BASE_URL + code(index),
    )


def compact(text: str) -> str:
    """Text without whitespace, so wrapped cells read as one string."""
    return re.sub(r"\s+", "", text)


def row_cells(serial: int, row: NoticeRow, failed: bool) -> str:
    """A row's cells as printed, in order, QR column left out: empty cells read "/"."""
    values = {
        "抽样编号": row.sample_number,
        "标称生产企业名称": row.producer_name,
        "标称生产企业地址": row.producer_address,
        "被抽样单位名称": row.business_name,
        "被抽样单位地址": row.business_address,
        "食品名称": row.food_name,
        "规格型号": row.specification,
        "商标": row.brand,
        "生产日期/批号": row.batch,
        "分类": row.category,
        "不合格项目║检验结果║标准值": row.failed_items,
        "检验机构": row.lab,
        "备注": row.remark,
    }
    if row.task_source != TASK:
        values["备注"] = "；".join(filter(None, [row.remark, f"任务来源：{row.task_source}"]))
    columns = FAILED_COLUMNS if failed else PASSED_COLUMNS
    cells = [str(serial)] + [values[column.header] or EMPTY_CELL for column in columns[1:-1]]
    return compact("".join(cells))


@pytest.fixture(scope="module")
def notice() -> NoticeData:
    """180 passes and 20 failures over many pages."""
    return replace(
        NOTICE,
        passed=[make_row(index) for index in range(180)],
        failed=[make_row(index, failed=True) for index in range(180, 200)],
    )


@pytest.fixture(scope="module")
def pdf_path(notice, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("notice") / "notice.pdf"
    path.write_bytes(render_notice(notice))
    return path


@pytest.fixture(scope="module")
def pages(pdf_path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf_path).pages]


def test_notice_spans_landscape_a4_pages_titled_with_its_number(notice, pdf_path, pages):
    reader = PdfReader(pdf_path)

    assert len(pages) > 10
    assert reader.metadata.title == notice.number
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(landscape(A4)[0])
        assert float(page.mediabox.height) == pytest.approx(landscape(A4)[1])


def test_every_page_is_footed_with_the_number_and_the_page_count(notice, pages):
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 共 {len(pages)} 页" in text
        assert notice.number in text


def test_heading_statement_and_sections_in_order(notice, pages):
    text = compact("".join(pages))

    expected = [
        notice.number,
        notice.title,
        "发布日期：2026年3月5日",
        f"任务来源：{TASK}",
        "扫码核验本公告真伪",
        "近期，新乡市市场监督管理局组织抽检了食用农产品等食品样品。",
        "现将结果公告如下。",
        STATEMENT,
        "一、合格产品信息",
        "二、不合格产品信息",
        "三、检验项目说明",
        "腐霉利是一种杀菌剂",
    ]
    positions = [text.find(compact(part)) for part in expected]
    assert -1 not in positions, dict(zip(expected, positions, strict=True))
    assert positions == sorted(positions)
    assert "本公告为更正公告" not in text
    assert NO_PASSED not in text and NO_FAILED not in text


def test_every_row_prints_all_its_cells_empty_ones_as_slash(notice, pages):
    text = compact("".join(pages))

    for serial, row in enumerate(notice.passed, start=1):
        assert row_cells(serial, row, failed=False) in text, row.sample_number
    for serial, row in enumerate(notice.failed, start=1):
        assert row_cells(serial, row, failed=True) in text, row.sample_number
    # Spot checks of what the loop relies on.
    assert compact(LONG_PRODUCER) in text
    assert XML_NAME.replace(" ", "") in text
    assert FAILED_ITEMS in text  # pypdf gives "║" and "；" back as they are
    assert f"任务来源：{OTHER_TASK}" in text


def test_table_header_repeats_on_every_page_with_rows(notice, pages):
    numbers = [row.sample_number for row in notice.passed + notice.failed]
    pages_with_rows = [text for text in pages if any(number in text for number in numbers)]

    assert len(pages_with_rows) >= len(pages) - 1
    for text in pages_with_rows:
        assert "序号" in text and "抽样编号" in text and "扫码查询" in text


def test_failed_table_has_the_failed_items_column(notice, pages):
    failed_numbers = {row.sample_number for row in notice.failed}
    for text in pages:
        has_failed_rows = any(number in text for number in failed_numbers)
        assert has_failed_rows == ("不合格项目║检验结果║标准值" in compact(text))


def test_empty_sections_and_a_correction_say_so():
    notice = replace(
        NOTICE,
        passed=[make_row(1)],
        failed=[],
        items_explanation="",
        supersedes_number="新乡市市场监督管理局食品安全抽检信息公告 2026年第2期",
    )

    text = compact(
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_notice(notice))).pages)
    )

    assert NO_FAILED in text
    assert "本期无检验项目说明。" in text
    assert "本公告为更正公告，更正《新乡市市场监督管理局食品安全抽检信息公告2026年第2期》" in text
    assert "原公告同时保留" in text
    assert text.index("本公告为更正公告") < text.index(STATEMENT)

    nothing_passed = replace(notice, passed=[], failed=[make_row(2, failed=True)])
    text = compact(
        "".join(
            page.extract_text()
            for page in PdfReader(io.BytesIO(render_notice(nothing_passed))).pages
        )
    )
    assert NO_PASSED in text and NO_FAILED not in text


@needs_pdffonts
def test_only_embedded_fonts(pdf_path):
    output = subprocess.run(
        ["pdffonts", str(pdf_path)], check=True, capture_output=True, text=True
    ).stdout
    header, rule, *rows = output.splitlines()
    spans = [match.span() for match in re.finditer(r"-+", rule)]
    columns = [header[start:end].strip() for start, end in spans]
    fonts = [
        {
            column: row[start:end].strip()
            for column, (start, end) in zip(columns, spans, strict=True)
        }
        for row in rows
    ]

    assert fonts
    assert all(font["emb"] == "yes" for font in fonts), fonts
    assert any("WenQuanYi" in font["name"] for font in fonts), fonts


@needs_pdftoppm
def test_every_qr_code_decodes_on_the_page_of_its_row(notice, pdf_path, pages):
    """At 300 dpi every row's 14 mm code decodes, with the notice's own on the first page.

    Grey PGM pages (PNG compression would take most of the time), read upright at full size."""
    stem = pdf_path.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "300", "-gray", str(pdf_path), str(stem)], check=True)
    decoded = []
    for pgm in sorted(pdf_path.parent.glob(stem.name + "-*.pgm")):
        with Image.open(pgm) as image:
            results = zxingcpp.read_barcodes(
                image,
                formats=zxingcpp.BarcodeFormat.QRCode,
                try_rotate=False,
                try_downscale=False,
            )
        decoded.append({result.text for result in results})

    rows = notice.passed + notice.failed
    assert set().union(*decoded) == {row.url for row in rows} | {notice.verify_url}
    assert len(decoded) == len(pages)
    for index, (texts, text) in enumerate(zip(decoded, pages, strict=True)):
        expected = {row.url for row in rows if row.sample_number in text}
        if index == 0:
            expected.add(notice.verify_url)
        assert texts == expected, index + 1
