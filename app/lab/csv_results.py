"""Parse and shape-check one laboratory result CSV; database checks are the caller's job."""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from app.sampling import codes

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

OFFICIAL_COLUMNS = ("抽样编号", "抽样单编号")
LABEL_COLUMNS = ("标签编号", "样品编号")
ITEM, RESULT, UNIT = "检验项目", "检验结果", "结果单位"
LOD, LOD_UNIT, METHOD, STANDARD = "方法检出限", "检出限单位", "检验依据", "判定依据"
REQUIRED_COLUMNS = (ITEM, RESULT, UNIT)
KNOWN_COLUMNS = (
    *OFFICIAL_COLUMNS,
    *LABEL_COLUMNS,
    *REQUIRED_COLUMNS,
    LOD,
    LOD_UNIT,
    METHOD,
    STANDARD,
)

NOT_DETECTED = frozenset({"未检出", "nd", "n.d.", "n.d", "not detected"})
# Plain decimal, optional sign and exponent; no thousands separators, no NaN or Infinity.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_UNSIGNED = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")

ENCODING_ERROR = "无法识别文件编码：请保存为 UTF-8 或 GBK 编码的 CSV。"

RefKind = Literal["official_number", "label_code"]


@dataclass(frozen=True)
class ResultRow:
    """One well-formed result line: a sample reference, a test item and its result."""

    line: int
    sample_ref: str
    ref_kind: RefKind
    item: str
    value: Decimal | None
    not_detected: bool
    unit: str
    lod: Decimal | None
    lod_unit: str | None
    method: str
    standard: str


@dataclass(frozen=True)
class RowError:
    """A problem on one line (line None: the whole file); the message names the line itself."""

    line: int | None
    message: str


@dataclass
class ParsedFile:
    """The well-formed rows and every problem found; the caller decides all-or-nothing."""

    rows: list[ResultRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file has no errors at all."""
        return not self.errors


def error_report(errors: Iterable[RowError]) -> str:
    """One line per error, in the order found (file-level errors come first)."""
    return "\n".join(error.message for error in errors)


def decode(data: bytes) -> str | None:
    """The file's text: strict UTF-8 (BOM optional), else GB18030 (a superset of GBK); else None."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _size(n: int) -> str:
    """A byte count for people: whole megabytes when it is one, else bytes."""
    return f"{n // (1024 * 1024)} MB" if n and n % (1024 * 1024) == 0 else f"{n} 字节"


def _file_error(message: str) -> ParsedFile:
    return ParsedFile(errors=[RowError(None, message)])


def _number(text: str, pattern: re.Pattern[str]) -> Decimal | None:
    """A Decimal from text already NFKC-normalized (full-width digits and dot read as ASCII)."""
    return Decimal(text) if pattern.fullmatch(text) else None


def _header_index(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Column name -> position for the known columns, and the names that appear twice."""
    index: dict[str, int] = {}
    repeated: list[str] = []
    for position, raw in enumerate(header):
        name = raw.replace("\ufeff", "").strip()
        if name not in KNOWN_COLUMNS:
            continue
        if name in index:
            repeated.append(name)
        else:
            index[name] = position
    return index, repeated


def _missing_columns(index: dict[str, int]) -> list[str]:
    missing = []
    if not any(name in index for name in OFFICIAL_COLUMNS + LABEL_COLUMNS):
        missing.append("抽样编号（或标签编号、样品编号）")
    missing.extend(name for name in REQUIRED_COLUMNS if name not in index)
    return missing


class _Row:
    """Cell access by column name for one CSV record."""

    def __init__(self, cells: list[str], index: dict[str, int]):
        self.cells = cells
        self.index = index

    def get(self, name: str) -> str:
        position = self.index.get(name)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def first(self, names: tuple[str, ...]) -> tuple[str, str] | None:
        """(column, value) of the first of names that is present and non-empty."""
        for name in names:
            value = self.get(name)
            if value:
                return name, value
        return None


def _sample_ref(row: _Row, prefix: str, problems: list[str]) -> tuple[str, RefKind] | None:
    """The sample reference: the official number when given, else the label code."""
    official = row.first(OFFICIAL_COLUMNS)
    if official:
        return "".join(official[1].split()).upper(), "official_number"
    label = row.first(LABEL_COLUMNS)
    if label:
        column, text = label
        code = codes.normalize(text)
        if not codes.is_valid(code):
            problems.append(f"{prefix}{column}“{text}”无效（格式或校验位不符）")
            return None
        return code, "label_code"
    present = [name for name in OFFICIAL_COLUMNS + LABEL_COLUMNS if name in row.index]
    problems.append(prefix + "缺少" + "或".join(f"“{name}”" for name in present))
    return None


def _parse_row(row: _Row, line: int) -> tuple[ResultRow | None, list[str], tuple | None]:
    """The row, its problems, and its (sample, item) key for the duplicate check."""
    prefix = f"第 {line} 行："
    problems: list[str] = []
    ref = _sample_ref(row, prefix, problems)
    item = " ".join(row.get(ITEM).split())
    result = row.get(RESULT)
    unit = row.get(UNIT)
    for name, value in ((ITEM, item), (RESULT, result), (UNIT, unit)):
        if not value:
            problems.append(f"{prefix}缺少“{name}”")

    lod_text = row.get(LOD)
    lod = _number(unicodedata.normalize("NFKC", lod_text), _UNSIGNED) if lod_text else None
    if lod_text and lod is None:
        problems.append(f"{prefix}无法识别的方法检出限“{lod_text}”")
    lod_unit = (row.get(LOD_UNIT) or unit) if lod is not None else None

    value: Decimal | None = None
    not_detected = False
    if result:
        normal = " ".join(unicodedata.normalize("NFKC", result).split())
        if normal.casefold() in NOT_DETECTED:
            not_detected = True
        elif normal.startswith("<"):
            # "<0.01": below the detection limit. The number is the LOD unless the 方法检出限
            # column gives one (then that wins); either way it is not detected.
            below = _number(normal[1:].strip(), _UNSIGNED)
            if below is None:
                problems.append(f"{prefix}无法识别的检验结果“{result}”")
            else:
                not_detected = True
                if not lod_text:
                    lod, lod_unit = below, unit
        else:
            value = _number(normal, _NUMBER)
            if value is None:
                problems.append(f"{prefix}无法识别的检验结果“{result}”")

    key = (ref, item) if ref and item else None
    if problems or ref is None:
        return None, problems, key
    parsed = ResultRow(
        line=line,
        sample_ref=ref[0],
        ref_kind=ref[1],
        item=item,
        value=value,
        not_detected=not_detected,
        unit=unit,
        lod=lod,
        lod_unit=lod_unit,
        method=row.get(METHOD),
        standard=row.get(STANDARD),
    )
    return parsed, problems, key


def parse_results(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> ParsedFile:
    """Every well-formed row of the file and every problem, with 1-based file line numbers."""
    if len(data) > max_bytes:
        return _file_error(f"文件过大：不能超过 {_size(max_bytes)}。")
    text = decode(data)
    if text is None:
        return _file_error(ENCODING_ERROR)

    reader = csv.reader(io.StringIO(text, newline=""))
    parsed = ParsedFile()
    seen: dict[tuple, int] = {}
    index: dict[str, int] | None = None
    width = 0
    data_rows = 0
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1  # this record's first line; the next one's
            if not any(cell.strip() for cell in cells):
                continue  # blank line, or only separators
            if index is None:
                index, repeated = _header_index(cells)
                missing = _missing_columns(index)
                if repeated:
                    return _file_error("表头中的列重复：" + "、".join(dict.fromkeys(repeated)))
                if missing:
                    return _file_error("缺少必需的列：" + "、".join(missing))
                width = len(cells)
                continue
            data_rows += 1
            if data_rows > max_rows:
                return _file_error(
                    f"数据行过多：一个文件不能超过 {max_rows} 行，请拆分后分别导入。"
                )
            if any(cell.strip() for cell in cells[width:]):
                parsed.errors.append(
                    RowError(start, f"第 {start} 行：列数（{len(cells)}）多于表头（{width}）")
                )
                continue
            row, problems, key = _parse_row(_Row(cells, index), start)
            parsed.errors.extend(RowError(start, problem) for problem in problems)
            if key is not None:
                if key in seen:
                    parsed.errors.append(RowError(start, f"第 {start} 行：与第 {seen[key]} 行重复"))
                    continue
                seen[key] = start
            if row is not None:
                parsed.rows.append(row)
    except csv.Error as error:
        # In practice only a cell longer than csv.field_size_limit() (128 KiB) gets here.
        message = f"第 {line} 行：CSV 格式错误，无法继续读取（{error}）"
        return ParsedFile(errors=[RowError(line, message)])
    if index is None:
        return _file_error("文件为空：没有表头。")
    return parsed
