"""Lab result CSVs: encodings, columns, result values, row and file errors, limits."""

from dataclasses import replace
from decimal import Decimal

import pytest

from app.lab import csv_results
from app.lab.csv_results import ENCODING_ERROR, ResultRow, RowError, error_report, parse_results
from app.sampling import codes

OFFICIAL = "DC26410700000123"
OTHER = "DC26410700000124"
LABEL = "7KQ3M9XW2" + codes.check_symbol("7KQ3M9XW2")
HEADER = "抽样编号,检验项目,检验结果,结果单位,方法检出限,检出限单位,检验依据,判定依据"

GOOD = "\r\n".join(
    [
        HEADER,
        f"{OFFICIAL},铅（以Pb计）,0.052,mg/kg,0.01,,GB 5009.12-2017,GB 2762-2022",
        f"{OFFICIAL},苯甲酸及其钠盐,未检出,g/kg,0.005,g/kg,GB 5009.28-2016,GB 2760-2014",
        f"{OTHER},菌落总数,1200,CFU/g,,,GB 4789.2-2022,GB 19295-2021",
        f"{OTHER},氯霉素,ND,µg/kg,0.1,µg/kg,GB/T 22338-2008,农业农村部公告第250号",
    ]
)
EXPECTED = [
    ResultRow(
        line=2,
        sample_ref=OFFICIAL,
        ref_kind="official_number",
        item="铅（以Pb计）",
        value=Decimal("0.052"),
        not_detected=False,
        unit="mg/kg",
        lod=Decimal("0.01"),
        lod_unit="mg/kg",
        method="GB 5009.12-2017",
        standard="GB 2762-2022",
    ),
    ResultRow(
        line=3,
        sample_ref=OFFICIAL,
        ref_kind="official_number",
        item="苯甲酸及其钠盐",
        value=None,
        not_detected=True,
        unit="g/kg",
        lod=Decimal("0.005"),
        lod_unit="g/kg",
        method="GB 5009.28-2016",
        standard="GB 2760-2014",
    ),
    ResultRow(
        line=4,
        sample_ref=OTHER,
        ref_kind="official_number",
        item="菌落总数",
        value=Decimal("1200"),
        not_detected=False,
        unit="CFU/g",
        lod=None,
        lod_unit=None,
        method="GB 4789.2-2022",
        standard="GB 19295-2021",
    ),
    ResultRow(
        line=5,
        sample_ref=OTHER,
        ref_kind="official_number",
        item="氯霉素",
        value=None,
        not_detected=True,
        unit="µg/kg",
        lod=Decimal("0.1"),
        lod_unit="µg/kg",
        method="GB/T 22338-2008",
        standard="农业农村部公告第250号",
    ),
]


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join(lines).encode(encoding)


def messages(parsed) -> list[tuple[int | None, str]]:
    return [(error.line, error.message) for error in parsed.errors]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_good_file_parses_identically_in_every_encoding(encoding):
    if encoding == "gbk":
        # "µ" is not in GBK; labs on GBK systems write "μ" (Greek mu) or "ug".
        data = GOOD.replace("µ", "μ").encode("gbk")
        expected = [
            row if row.unit != "µg/kg" else replace(row, unit="μg/kg", lod_unit="μg/kg")
            for row in EXPECTED
        ]
    else:
        data = GOOD.encode(encoding)
        expected = EXPECTED
    parsed = parse_results(data)
    assert parsed.errors == []
    assert parsed.ok
    assert parsed.rows == expected


def test_bom_and_gbk_really_differ_in_bytes():
    assert GOOD.encode("utf-8-sig").startswith(b"\xef\xbb\xbf")
    gbk = GOOD.replace("µ", "μ").encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")


def test_column_order_is_free_names_are_trimmed_and_extra_columns_ignored():
    data = csv_bytes(
        " 结果单位 ,备注,检验结果,  检验项目,抽样编号\t",
        f"mg/kg,复核,0.2,镉（以Cd计）, {OFFICIAL} ",
    )
    parsed = parse_results(data)
    assert parsed.errors == []
    [row] = parsed.rows
    assert (row.sample_ref, row.item, row.value, row.unit) == (
        OFFICIAL,
        "镉（以Cd计）",
        Decimal("0.2"),
        "mg/kg",
    )
    assert (row.lod, row.lod_unit, row.method, row.standard) == (None, None, "", "")


def test_official_number_is_upper_cased_and_the_form_name_is_accepted():
    data = csv_bytes("抽样单编号,检验项目,检验结果,结果单位", "dc26410700000123,铅,0.1,mg/kg")
    [row] = parse_results(data).rows
    assert (row.sample_ref, row.ref_kind) == (OFFICIAL, "official_number")


def test_bad_file_reports_exact_lines_and_messages():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位",
        f"{OFFICIAL},铅,0.1,mg/kg",
        f"{OFFICIAL},镉,约0.2,mg/kg",
        f"{OFFICIAL},,0.3,mg/kg",
        f"{OFFICIAL},汞,0.01,",
        f"{OFFICIAL},铅,0.11,mg/kg",
        ",砷,0.2,mg/kg",
        f'{OFFICIAL},菌落总数,"1,200",CFU/g',
    )
    parsed = parse_results(data)
    assert messages(parsed) == [
        (3, "第 3 行：无法识别的检验结果“约0.2”"),
        (4, "第 4 行：缺少“检验项目”"),
        (5, "第 5 行：缺少“结果单位”"),
        (6, "第 6 行：与第 2 行重复"),
        (7, "第 7 行：缺少“抽样编号”"),
        (8, "第 8 行：无法识别的检验结果“1,200”"),
    ]
    assert [row.line for row in parsed.rows] == [2]


def test_several_problems_on_one_row_are_all_reported():
    data = csv_bytes("抽样编号,检验项目,检验结果,结果单位,方法检出限", ",,abc,,x")
    assert messages(parse_results(data)) == [
        (2, "第 2 行：缺少“抽样编号”"),
        (2, "第 2 行：缺少“检验项目”"),
        (2, "第 2 行：缺少“结果单位”"),
        (2, "第 2 行：无法识别的方法检出限“x”"),
        (2, "第 2 行：无法识别的检验结果“abc”"),
    ]


def test_missing_required_columns_is_one_file_level_error():
    data = csv_bytes("样品名称,检验结果,备注", "大米,0.1,")
    parsed = parse_results(data)
    assert parsed.rows == []
    assert messages(parsed) == [
        (None, "缺少必需的列：抽样编号（或标签编号、样品编号）、检验项目、结果单位")
    ]


def test_a_repeated_column_is_a_file_level_error():
    data = csv_bytes("抽样编号,检验项目,检验结果,结果单位,检验结果", f"{OFFICIAL},铅,0.1,mg/kg,0.2")
    assert messages(parse_results(data)) == [(None, "表头中的列重复：检验结果")]


def test_duplicate_pair_is_reported_on_the_later_line_and_only_that_row_is_dropped():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位",
        f"{OFFICIAL},铅,0.1,mg/kg",
        f"{OTHER},铅,0.1,mg/kg",
        f"{OFFICIAL},镉,0.1,mg/kg",
        f"{OFFICIAL.lower()}, 铅 ,0.2,mg/kg",
    )
    parsed = parse_results(data)
    assert messages(parsed) == [(5, "第 5 行：与第 2 行重复")]
    assert [row.line for row in parsed.rows] == [2, 3, 4]


def test_mixed_file_returns_good_rows_and_errors_for_the_caller_to_decide():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位",
        f"{OFFICIAL},铅,0.1,mg/kg",
        f"{OFFICIAL},镉,阳性,mg/kg",
        f"{OFFICIAL},汞,未检出,mg/kg",
    )
    parsed = parse_results(data)
    assert not parsed.ok
    assert [(row.line, row.item) for row in parsed.rows] == [(2, "铅"), (4, "汞")]
    assert messages(parsed) == [(3, "第 3 行：无法识别的检验结果“阳性”")]


@pytest.mark.parametrize("column", ["标签编号", "样品编号"])
def test_label_code_column_instead_of_the_official_number(column):
    spaced = codes.display(LABEL).lower()  # "7kq3m-9xw25": read forgivingly
    data = csv_bytes(f"{column},检验项目,检验结果,结果单位", f"{spaced},铅,0.1,mg/kg")
    parsed = parse_results(data)
    assert parsed.errors == []
    [row] = parsed.rows
    assert (row.sample_ref, row.ref_kind) == (LABEL, "label_code")


def test_a_label_code_with_a_wrong_check_symbol_is_a_row_error():
    typo = LABEL[:-1] + ("0" if LABEL[-1] != "0" else "1")
    data = csv_bytes("标签编号,检验项目,检验结果,结果单位", f"{typo},铅,0.1,mg/kg")
    parsed = parse_results(data)
    assert parsed.rows == []
    assert messages(parsed) == [(2, f"第 2 行：标签编号“{typo}”无效（格式或校验位不符）")]


def test_with_both_reference_columns_the_official_number_wins_and_the_label_fills_gaps():
    data = csv_bytes(
        "抽样编号,标签编号,检验项目,检验结果,结果单位",
        f"{OFFICIAL},{LABEL},铅,0.1,mg/kg",
        f",{LABEL},镉,0.1,mg/kg",
        ",,汞,0.1,mg/kg",
    )
    parsed = parse_results(data)
    assert [(row.sample_ref, row.ref_kind) for row in parsed.rows] == [
        (OFFICIAL, "official_number"),
        (LABEL, "label_code"),
    ]
    assert messages(parsed) == [(4, "第 4 行：缺少“抽样编号”或“标签编号”")]


@pytest.mark.parametrize("text", ["未检出", "ND", "nd", "N.D.", "n.d.", "Not Detected", "ＮＤ"])
def test_not_detected_spellings(text):
    data = csv_bytes("抽样编号,检验项目,检验结果,结果单位", f"{OFFICIAL},铅,{text},mg/kg")
    [row] = parse_results(data).rows
    assert (row.value, row.not_detected, row.lod, row.lod_unit) == (None, True, None, None)


def test_less_than_means_not_detected_with_that_number_as_the_lod():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位,方法检出限,检出限单位",
        f"{OFFICIAL},铅,<0.01,mg/kg,,",
        f"{OFFICIAL},镉,< 0.010,mg/kg,,",
        f"{OFFICIAL},汞,<0.01,mg/kg,0.003,µg/g",  # the method's LOD column wins
        f"{OFFICIAL},砷,＜０．０２,mg/kg,,",  # full-width "<" and digits
        f"{OFFICIAL},锡,<,mg/kg,,",
        f"{OFFICIAL},铬,<abc,mg/kg,,",
    )
    parsed = parse_results(data)
    got = [(row.item, row.value, row.not_detected, row.lod, row.lod_unit) for row in parsed.rows]
    assert got == [
        ("铅", None, True, Decimal("0.01"), "mg/kg"),
        ("镉", None, True, Decimal("0.010"), "mg/kg"),
        ("汞", None, True, Decimal("0.003"), "µg/g"),
        ("砷", None, True, Decimal("0.02"), "mg/kg"),
    ]
    assert messages(parsed) == [
        (6, "第 6 行：无法识别的检验结果“<”"),
        (7, "第 7 行：无法识别的检验结果“<abc”"),
    ]


def test_full_width_digits_and_dot_are_read():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位,方法检出限",
        f"{OFFICIAL},铅,０．０５２,mg/kg,０．０１",
        f"{OFFICIAL},镉,１２００,mg/kg,",
    )
    parsed = parse_results(data)
    assert parsed.errors == []
    assert [(row.value, row.lod) for row in parsed.rows] == [
        (Decimal("0.052"), Decimal("0.01")),
        (Decimal("1200"), None),
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", "0"),
        ("12", "12"),
        ("12.50", "12.50"),
        (".5", ".5"),
        ("1.2E-3", "0.0012"),
        ("-0.1", "-0.1"),
    ],
)
def test_plain_numbers(text, value):
    data = csv_bytes("抽样编号,检验项目,检验结果,结果单位", f"{OFFICIAL},铅,{text},mg/kg")
    [row] = parse_results(data).rows
    assert row.value == Decimal(value)
    assert not row.not_detected


@pytest.mark.parametrize(
    "text",
    ["1,234", "1，234", "1 234", "NaN", "Infinity", "0x10", "1.2.3", ">100", "1e9999", "阳性"],
)
def test_thousands_separators_and_other_text_are_refused(text):
    data = csv_bytes("抽样编号,检验项目,检验结果,结果单位", f'{OFFICIAL},铅,"{text}",mg/kg')
    parsed = parse_results(data)
    assert parsed.rows == []
    assert messages(parsed) == [(2, f"第 2 行：无法识别的检验结果“{text}”")]


def test_lod_unit_defaults_to_the_result_unit():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位,方法检出限,检出限单位",
        f"{OFFICIAL},铅,0.1,mg/kg,0.01,",
        f"{OFFICIAL},镉,0.1,mg/kg,10,µg/kg",
        f"{OFFICIAL},汞,0.1,mg/kg,,µg/kg",  # a unit without an LOD: no LOD
        f"{OFFICIAL},砷,0.1,mg/kg,-0.01,",
    )
    parsed = parse_results(data)
    assert [(row.lod, row.lod_unit) for row in parsed.rows] == [
        (Decimal("0.01"), "mg/kg"),
        (Decimal("10"), "µg/kg"),
        (None, None),
    ]
    assert messages(parsed) == [(5, "第 5 行：无法识别的方法检出限“-0.01”")]


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    data = (
        "\r\n"
        "抽样编号,检验项目,检验结果,结果单位\r\n"
        "\r\n"
        f"{OFFICIAL},铅,0.1,mg/kg\r\n"
        ",,,\r\n"
        "   \r\n"
        f"{OFFICIAL},镉,坏,mg/kg\r\n"
        f'{OFFICIAL},"汞\n（总汞）",0.1,mg/kg\r\n'  # a quoted cell spanning two lines
        f"{OFFICIAL},砷,坏,mg/kg\r\n"
        "\r\n"
    ).encode()
    parsed = parse_results(data)
    assert [(row.line, row.item) for row in parsed.rows] == [(4, "铅"), (8, "汞 （总汞）")]
    assert messages(parsed) == [
        (7, "第 7 行：无法识别的检验结果“坏”"),
        (10, "第 10 行：无法识别的检验结果“坏”"),
    ]


def test_a_row_wider_than_the_header_is_refused_unless_the_extra_cells_are_empty():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位",
        f"{OFFICIAL},铅,1,234,mg/kg",  # an unquoted thousands separator shifts the columns
        f"{OFFICIAL},镉,0.1,mg/kg,,",
    )
    parsed = parse_results(data)
    assert messages(parsed) == [(2, "第 2 行：列数（5）多于表头（4）")]
    assert [row.item for row in parsed.rows] == ["镉"]


def test_a_short_row_reads_the_missing_cells_as_empty():
    data = csv_bytes("抽样编号,检验项目,检验结果,结果单位", f"{OFFICIAL},铅,0.1")
    assert messages(parse_results(data)) == [(2, "第 2 行：缺少“结果单位”")]


def test_undecodable_file_is_a_file_level_error():
    # 0xFF is never valid in UTF-8 nor in GB18030, and 0x81 needs a trail byte: these bytes
    # really fail both codecs (no mock needed).
    for data in (b"\xff\xfe\x00garbage", "抽样编号,检验项目\r\n".encode("gbk") + b"\x81"):
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        with pytest.raises(UnicodeDecodeError):
            data.decode("gb18030")
        parsed = parse_results(data)
        assert parsed.rows == []
        assert messages(parsed) == [(None, ENCODING_ERROR)]


def test_gb18030_only_characters_are_accepted():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位", f"{OFFICIAL},𠮷,0.1,mg/kg", encoding="gb18030"
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    [row] = parse_results(data).rows
    assert row.item == "𠮷"


def test_empty_file():
    for data in (b"", b"\xef\xbb\xbf", b"\r\n  \r\n,,\r\n"):
        assert messages(parse_results(data)) == [(None, "文件为空：没有表头。")]


def test_header_only_file_has_no_rows_and_no_errors():
    parsed = parse_results(csv_bytes("抽样编号,检验项目,检验结果,结果单位"))
    assert parsed.rows == [] and parsed.errors == []


def test_file_size_limit():
    row = f"{OFFICIAL},铅,0.1,mg/kg\r\n"
    header = "抽样编号,检验项目,检验结果,结果单位\r\n"
    padding = csv_results.MAX_BYTES - len(header.encode())
    blank = " " * 1023 + "\n"  # blank lines, each short of the csv module's field limit
    big = (header + blank * (padding // 1024) + " " * (padding % 1024)).encode()
    assert len(big) == csv_results.MAX_BYTES
    assert parse_results(big).errors == []  # exactly at the limit: accepted
    assert messages(parse_results(big + row.encode())) == [(None, "文件过大：不能超过 5 MB。")]


def test_row_limit():
    header = "抽样编号,检验项目,检验结果,结果单位"
    rows = [f"{OFFICIAL},项目{n},0.1,mg/kg" for n in range(csv_results.MAX_ROWS)]
    at_limit = parse_results(csv_bytes(header, *rows, "", ""))
    assert at_limit.errors == [] and len(at_limit.rows) == csv_results.MAX_ROWS
    over = parse_results(csv_bytes(header, *rows, f"{OFFICIAL},多一项,0.1,mg/kg"))
    assert over.rows == []
    assert messages(over) == [(None, "数据行过多：一个文件不能超过 20000 行，请拆分后分别导入。")]


def test_limits_can_be_passed_in():
    data = csv_bytes(
        "抽样编号,检验项目,检验结果,结果单位", *[f"{OFFICIAL},项目{n},1,mg/kg" for n in range(3)]
    )
    assert messages(parse_results(data, max_rows=2)) == [
        (None, "数据行过多：一个文件不能超过 2 行，请拆分后分别导入。")
    ]
    assert messages(parse_results(data, max_bytes=1024 * 1024 // 4)) == []
    assert messages(parse_results(data, max_bytes=10)) == [(None, "文件过大：不能超过 10 字节。")]


def test_csv_syntax_error_stops_the_parse():
    old = csv_results.csv.field_size_limit(20)
    try:
        data = csv_bytes("抽样编号,检验项目,检验结果,结果单位", f"{OFFICIAL},{'铅' * 30},0.1,mg/kg")
        parsed = parse_results(data)
    finally:
        csv_results.csv.field_size_limit(old)
    assert parsed.rows == []
    [error] = parsed.errors
    assert error.line == 2
    assert error.message.startswith("第 2 行：CSV 格式错误，无法继续读取（")


def test_error_report_is_one_line_per_error():
    errors = [RowError(None, "缺少必需的列：检验项目"), RowError(3, "第 3 行：缺少“结果单位”")]
    assert error_report(errors) == "缺少必需的列：检验项目\n第 3 行：缺少“结果单位”"
    assert error_report([]) == ""
