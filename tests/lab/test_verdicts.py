"""Verdicts on laboratory results: units, limit kinds, notice texts (pure, no app or DB)."""

import itertools
from decimal import Decimal as D

import pytest

from app.lab.verdicts import (
    ItemVerdict,
    Limit,
    LimitKind,
    Measurement,
    UnitError,
    convert,
    format_decimal,
    normalise_unit,
    sample_verdict,
    verdict_for,
)

MASS_UNITS = ["µg/kg", "mg/kg", "mg/100g", "g/kg", "mg/g", "g/100g"]
VOLUME_UNITS = ["µg/L", "mg/L", "g/L"]
MICRO_SIGN = "\u00b5"
GREEK_MU = "\u03bc"


def result(value: str, unit: str = "mg/kg", **kwargs) -> Measurement:
    return Measurement(D(value), unit, not_detected=False, **kwargs)


def not_detected(unit: str = "mg/kg") -> Measurement:
    return Measurement(None, unit, not_detected=True)


# --- units -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        ("200", "µg/kg", "mg/kg", "0.2"),
        ("0.2", "mg/kg", "µg/kg", "200"),
        ("1", "g/kg", "mg/kg", "1000"),
        ("1", "mg/g", "mg/kg", "1000"),
        ("1", "mg/g", "g/kg", "1"),
        ("1", "g/100g", "g/kg", "10"),
        ("1", "g/100g", "mg/kg", "10000"),
        ("1", "g/100g", "mg/g", "10"),
        ("0.80", "g/100g", "mg/kg", "8000"),
        ("5", "mg/g", "g/100g", "0.5"),
        ("1", "mg/100g", "mg/kg", "10"),
        ("1", "µg/kg", "g/100g", "0.0000001"),
        ("0.01", "mg/L", "µg/L", "10"),
        ("2.5", "g/L", "mg/L", "2500"),
        ("10", "µg/L", "g/L", "0.00001"),
        ("0.0000000000000000000000000001", "µg/kg", "g/100g", "1E-35"),
    ],
)
def test_known_conversions(value, from_unit, to_unit, expected):
    converted = convert(D(value), from_unit, to_unit)
    assert isinstance(converted, D)
    assert converted == D(expected)


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [
        *itertools.permutations(MASS_UNITS, 2),
        *itertools.permutations(VOLUME_UNITS, 2),
    ],
)
@pytest.mark.parametrize(
    "value", ["0", "1", "0.2", "0.80", "123.456789", "0.000001", "1E+5", "9999999999999999.99"]
)
def test_round_trip_is_exact(from_unit, to_unit, value):
    there = convert(D(value), from_unit, to_unit)
    back = convert(there, to_unit, from_unit)
    assert back == D(value)
    assert format_decimal(back) == format_decimal(D(value))


def test_long_values_are_not_rounded_to_the_context_precision():
    value = D("1234567890.1234567890123456789012345")  # 35 significant digits
    expected = D("12345678901234567.890123456789012345")
    assert convert(value, "g/100g", "µg/kg") == expected
    assert format_decimal(convert(value, "g/100g", "µg/kg")) == format_decimal(expected)
    assert convert(convert(value, "g/100g", "µg/kg"), "µg/kg", "g/100g") == value


@pytest.mark.parametrize("unit", [*MASS_UNITS, *VOLUME_UNITS, "/50cm²", "CFU/g", "MPN/100mL"])
def test_equal_units_convert_trivially(unit):
    assert convert(D("0.35"), unit, unit) == D("0.35")
    assert convert(D("3"), f" {unit} ", unit) == D("3")


@pytest.mark.parametrize("spelling", [f"{MICRO_SIGN}g/kg", f"{GREEK_MU}g/kg", "ug/kg", "µg / kg"])
def test_micro_spellings_are_one_unit(spelling):
    assert normalise_unit(spelling) == f"{MICRO_SIGN}g/kg"
    assert convert(D("5"), spelling, f"{MICRO_SIGN}g/kg") == D("5")
    assert convert(D("5"), spelling, "mg/kg") == D("0.005")
    assert convert(D("0.005"), "mg/kg", spelling) == D("5")


@pytest.mark.parametrize("spelling", [f"{GREEK_MU}g/L", "ug/L"])
def test_micro_spellings_for_volume(spelling):
    assert convert(D("10"), spelling, "mg/L") == D("0.01")


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [
        *itertools.product(MASS_UNITS, VOLUME_UNITS),
        *itertools.product(VOLUME_UNITS, MASS_UNITS),
        ("/50cm²", "mg/kg"),
        ("mg/kg", "/50cm²"),
        ("CFU/g", "mg/kg"),
        ("furlongs", "mg/kg"),
        ("mg/kg", "ppm"),
        ("", "mg/kg"),
        ("mg/l", "mg/L"),  # case-sensitive: "l" is not normalised
        ("MG/KG", "mg/kg"),
    ],
)
def test_unconvertible_pairs_raise(from_unit, to_unit):
    with pytest.raises(UnitError) as caught:
        convert(D("1"), from_unit, to_unit)
    message = str(caught.value)
    assert repr(from_unit) in message
    assert repr(to_unit) in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("value", [0.2, 1, "0.2", None])
def test_convert_wants_a_decimal(value):
    with pytest.raises(TypeError):
        convert(value, "mg/kg", "µg/kg")


# --- formatting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0.2", "0.2"),
        ("0.80", "0.80"),
        ("100", "100"),
        ("1E+2", "100"),
        ("5", "5"),
        ("0.00001", "0.00001"),
        ("1E-7", "0.0000001"),
        ("0", "0"),
        ("-0.00", "0.00"),
    ],
)
def test_format_decimal(value, text):
    assert format_decimal(D(value)) == text


# --- limit kinds: below, on, above --------------------------------------------------------

KIND_CASES = [
    # op, limit, measured, passed
    ("<=", "0.2", "0.19", True),
    ("<=", "0.2", "0.2", True),
    ("<=", "0.2", "0.200", True),
    ("<=", "0.2", "0.21", False),
    ("<", "0.01", "0.009", True),
    ("<", "0.01", "0.01", False),
    ("<", "0.01", "0.011", False),
    (">=", "5", "4.99", False),
    (">=", "5", "5", True),
    (">=", "5", "5.01", True),
]


@pytest.mark.parametrize(("op", "limit_value", "measured", "passed"), KIND_CASES)
def test_numeric_limits_below_on_above(op, limit_value, measured, passed):
    verdict = verdict_for("项目", Limit(op, D(limit_value), "mg/kg"), result(measured))
    assert verdict.passed is passed


@pytest.mark.parametrize(
    ("lod", "measured", "passed"),
    [("0.01", "0.005", True), ("0.01", "0.01", True), ("0.01", "0.0101", False)],
)
def test_not_detected_limit_below_on_above_the_lod(lod, measured, passed):
    limit = Limit(LimitKind.NOT_DETECTED, None, "mg/kg")
    assert verdict_for("项目", limit, result(measured, lod=D(lod))).passed is passed


@pytest.mark.parametrize("measured", ["0", "0.001", "5"])
def test_not_detected_limit_without_lod_counts_any_value_as_detected(measured):
    limit = Limit("not_detected", None, "mg/kg")
    assert verdict_for("项目", limit, result(measured)).passed is False


@pytest.mark.parametrize("measured", ["0", "0.0001", "0.5", "100"])
@pytest.mark.parametrize("lod", [None, D("1")])
def test_not_permitted_fails_on_any_reported_value(measured, lod):
    limit = Limit(LimitKind.NOT_PERMITTED, None, "g/kg")
    verdict = verdict_for("山梨酸", limit, result(measured, "g/kg", lod=lod))
    assert verdict.passed is False
    assert verdict.limit_text == "不得使用"


@pytest.mark.parametrize(
    ("op", "limit_value", "passed"),
    [
        (LimitKind.MAX, D("0.2"), True),
        (LimitKind.STRICT_MAX, D("0.01"), True),
        (LimitKind.MIN, D("5"), False),
        (LimitKind.NOT_DETECTED, None, True),
        (LimitKind.NOT_PERMITTED, None, True),
    ],
)
def test_not_detected_results_for_each_kind(op, limit_value, passed):
    verdict = verdict_for("项目", Limit(op, limit_value, "mg/kg"), not_detected())
    assert verdict.passed is passed
    assert verdict.result_text == "未检出"


def test_not_detected_result_ignores_its_unit_and_value():
    measurement = Measurement(D("0.01"), "", not_detected=True, lod=D("0.01"), lod_unit="mg/kg")
    verdict = verdict_for("项目", Limit("<=", D("0.2"), "mg/kg"), measurement)
    assert verdict == ItemVerdict(True, "未检出", "≤0.2mg/kg")


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (Limit("<=", D("0.2"), "mg/kg"), "≤0.2mg/kg"),
        (Limit("<", D("0.01"), "mg/L"), "<0.01mg/L"),
        (Limit(">=", D("5"), "g/100g"), "≥5g/100g"),
        (Limit("<=", D("0.80"), "g/100g"), "≤0.80g/100g"),
        (Limit("<=", D("1E+2"), "ug/kg"), "≤100µg/kg"),
        (Limit("<=", D("100"), f"{GREEK_MU}g/kg"), "≤100µg/kg"),
        (Limit("not_detected", None, "µg/kg"), "不得检出"),
        (Limit("not_permitted", None, "g/kg"), "不得使用"),
    ],
)
def test_limit_text(limit, text):
    assert verdict_for("项目", limit, not_detected()).limit_text == text


@pytest.mark.parametrize(
    ("measurement", "text"),
    [
        (result("0.35"), "0.35mg/kg"),
        (result("0.120", "mg/kg"), "0.120mg/kg"),
        (result("1E+2", "ug/kg"), "100µg/kg"),
        (result("3", "/50cm²"), "3/50cm²"),
        (Measurement(None, "mg/kg", True, D("0.01"), "mg/kg"), "未检出"),
    ],
)
def test_result_text(measurement, text):
    verdict = verdict_for("项目", Limit("not_permitted", None, measurement.unit), measurement)
    assert verdict.result_text == text


# --- cross-unit verdicts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "limit_value", "limit_unit", "measured", "unit", "passed"),
    [
        ("<=", "0.2", "mg/kg", "200", "µg/kg", True),  # on the limit
        ("<=", "0.2", "mg/kg", "200.1", "µg/kg", False),
        ("<=", "0.2", "mg/kg", "0.2001", "mg/kg", False),
        ("<=", "0.2", "mg/kg", "199.9999", "ug/kg", True),
        ("<", "0.02", "mg/kg", "20", "µg/kg", False),  # on a strict limit
        ("<", "0.02", "mg/kg", "19.99", f"{GREEK_MU}g/kg", True),
        ("<=", "100", "µg/kg", "0.1", "mg/kg", True),
        ("<=", "100", "µg/kg", "0.10001", "mg/kg", False),
        ("<=", "5", "mg/g", "0.5", "g/100g", True),
        ("<=", "5", "mg/g", "5000", "mg/kg", True),
        ("<=", "5", "mg/g", "5001", "mg/kg", False),
        ("<=", "0.80", "g/100g", "8", "g/kg", True),
        ("<=", "0.80", "g/100g", "8.0001", "mg/g", False),
        (">=", "5", "g/100g", "50", "g/kg", True),
        (">=", "5", "g/100g", "49999", "mg/kg", False),
        ("<", "0.01", "mg/L", "10", "µg/L", False),
        ("<", "0.01", "mg/L", "9.9", "ug/L", True),
    ],
)
def test_cross_unit_verdicts(op, limit_value, limit_unit, measured, unit, passed):
    verdict = verdict_for("项目", Limit(op, D(limit_value), limit_unit), result(measured, unit))
    assert verdict.passed is passed


@pytest.mark.parametrize(
    ("measured", "passed"), [("0.5", True), ("1", True), ("1.0", True), ("1.5", False)]
)
def test_not_detected_with_lod_in_another_unit(measured, passed):
    limit = Limit(LimitKind.NOT_DETECTED, None, "µg/kg")
    measurement = result(measured, "µg/kg", lod=D("0.001"), lod_unit="mg/kg")
    verdict = verdict_for("氟苯尼考", limit, measurement)
    assert verdict.passed is passed
    assert verdict.result_text == f"{measured}µg/kg"


def test_lod_unit_defaults_to_the_result_unit():
    limit = Limit(LimitKind.NOT_DETECTED, None, "µg/kg")
    assert verdict_for("项目", limit, result("0.5", "µg/kg", lod=D("1"))).passed is True
    assert verdict_for("项目", limit, result("1.5", "µg/kg", lod=D("1"))).passed is False


@pytest.mark.parametrize(
    ("limit", "measurement"),
    [
        (Limit("<=", D("0.2"), "mg/kg"), result("0.1", "mg/L")),
        (Limit("<", D("0.01"), "mg/L"), result("0.001", "mg/kg")),
        (Limit(">=", D("5"), "g/100g"), result("6", "g/L")),
        (Limit("<=", D("0.2"), "mg/kg"), result("3", "/50cm²")),
        (Limit("not_detected", None, "/50cm²"), result("3", "mg/kg")),
        (Limit("not_permitted", None, "g/kg"), result("0.1", "g/L")),
        # the LOD's unit is checked too
        (Limit("not_detected", None, "µg/kg"), result("0.5", "µg/kg", lod=D("1"), lod_unit="mg/L")),
    ],
)
def test_incompatible_units_raise_never_guess(limit, measurement):
    with pytest.raises(UnitError, match="氧氟沙星"):
        verdict_for("氧氟沙星", limit, measurement)


def test_equal_unknown_units_are_compared():
    limit = Limit(LimitKind.NOT_DETECTED, None, "/50cm²")
    assert verdict_for("大肠菌群", limit, not_detected("/50cm²")).passed is True
    assert verdict_for("大肠菌群", limit, result("3", "/50cm²")).passed is False
    assert verdict_for("大肠菌群", limit, result("3", "/50cm²", lod=D("3"))).passed is True


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("<=", None),
        ("<", None),
        (">=", None),
        ("not_detected", D("0.01")),
        ("not_permitted", D("0")),
        ("≤", D("1")),
        ("=", D("1")),
        ("<=", D("-1")),
        ("<=", D("NaN")),
        ("<=", D("Infinity")),
    ],
)
def test_invalid_limits(op, value):
    with pytest.raises(ValueError):
        Limit(op, value, "mg/kg")


@pytest.mark.parametrize("value", [0.2, 1, "0.2"])
def test_limits_and_results_refuse_non_decimals(value):
    with pytest.raises(TypeError):
        Limit("<=", value, "mg/kg")
    with pytest.raises(TypeError):
        Measurement(value, "mg/kg", not_detected=False)
    with pytest.raises(TypeError):
        Measurement(D("1"), "mg/kg", not_detected=False, lod=value)


def test_limit_op_is_coerced_to_the_enum():
    assert Limit("<=", D("1"), "mg/kg").op is LimitKind.MAX
    assert Limit(LimitKind.NOT_PERMITTED, None, "g/kg").op is LimitKind.NOT_PERMITTED


@pytest.mark.parametrize(
    "kwargs",
    [
        {"value": None, "not_detected": False},
        {"value": D("-0.1"), "not_detected": False},
        {"value": D("NaN"), "not_detected": False},
        {"value": D("1"), "not_detected": False, "lod": D("-1")},
    ],
)
def test_invalid_measurements(kwargs):
    with pytest.raises(ValueError):
        Measurement(unit="mg/kg", **kwargs)


# --- the whole sample ---------------------------------------------------------------------

PASS = ItemVerdict(True, "0.01mg/kg", "≤0.05mg/kg")


def test_all_pass():
    assert sample_verdict([("腐霉利", PASS), ("甲拌磷", PASS)]) == (True, "")


def test_one_failed_item_fails_the_sample():
    failed = ItemVerdict(False, "0.12mg/kg", "≤0.05mg/kg")
    assert sample_verdict([("腐霉利", PASS), ("毒死蜱", failed), ("甲拌磷", PASS)]) == (
        False,
        "毒死蜱║0.12mg/kg║≤0.05mg/kg",
    )


def test_failed_text_keeps_order_and_joins_with_full_width_semicolon():
    items = [
        ("毒死蜱", verdict_for("毒死蜱", Limit("<=", D("0.05"), "mg/kg"), result("0.12"))),
        ("氧乐果", verdict_for("氧乐果", Limit("<=", D("0.02"), "mg/kg"), not_detected())),
        ("克百威", verdict_for("克百威", Limit("<=", D("0.02"), "mg/kg"), result("0.05"))),
    ]
    passed, text = sample_verdict(items)
    assert passed is False
    assert text == "毒死蜱║0.12mg/kg║≤0.05mg/kg；克百威║0.05mg/kg║≤0.02mg/kg"
    _, reverse_text = sample_verdict(items[::-1])
    assert reverse_text == "克百威║0.05mg/kg║≤0.02mg/kg；毒死蜱║0.12mg/kg║≤0.05mg/kg"


def test_a_sample_without_items_is_not_judged():
    with pytest.raises(ValueError):
        sample_verdict([])


# --- realistic rows from test_items.csv ---------------------------------------------------


@pytest.mark.parametrize(
    ("item", "op", "limit_value", "unit", "measurement", "expected"),
    [
        ("腐霉利", "<=", "0.2", "mg/kg", result("0.35"), (False, "0.35mg/kg", "≤0.2mg/kg")),
        ("腐霉利", "<=", "0.2", "mg/kg", result("0.2"), (True, "0.2mg/kg", "≤0.2mg/kg")),
        ("腐霉利", "<=", "0.2", "mg/kg", result("150", "µg/kg"), (True, "150µg/kg", "≤0.2mg/kg")),
        (
            "氟苯尼考",
            "not_detected",
            "",
            "µg/kg",
            not_detected("µg/kg"),
            (True, "未检出", "不得检出"),
        ),
        (
            "氟苯尼考",
            "not_detected",
            "",
            "µg/kg",
            result("2.3", "µg/kg", lod=D("0.1"), lod_unit="µg/kg"),
            (False, "2.3µg/kg", "不得检出"),
        ),
        ("酸价(以脂肪计)", "<=", "5", "mg/g", result("5.0", "mg/g"), (True, "5.0mg/g", "≤5mg/g")),
        ("酸价(以脂肪计)", "<=", "5", "mg/g", result("6.2", "mg/g"), (False, "6.2mg/g", "≤5mg/g")),
        (
            "过氧化值(以脂肪计)",
            "<=",
            "0.80",
            "g/100g",
            result("0.81", "g/100g"),
            (False, "0.81g/100g", "≤0.80g/100g"),
        ),
        (
            "过氧化值(以脂肪计)",
            "<=",
            "0.80",
            "g/100g",
            result("0.8", "g/100g"),
            (True, "0.8g/100g", "≤0.80g/100g"),
        ),
        ("溴酸盐", "<", "0.01", "mg/L", result("0.01", "mg/L"), (False, "0.01mg/L", "<0.01mg/L")),
        ("溴酸盐", "<", "0.01", "mg/L", result("0.005", "mg/L"), (True, "0.005mg/L", "<0.01mg/L")),
        (
            "山梨酸及其钾盐(以山梨酸计)",
            "not_permitted",
            "",
            "g/kg",
            result("0.0521", "g/kg"),
            (False, "0.0521g/kg", "不得使用"),
        ),
        (
            "山梨酸及其钾盐(以山梨酸计)",
            "not_permitted",
            "",
            "g/kg",
            not_detected("g/kg"),
            (True, "未检出", "不得使用"),
        ),
    ],
)
def test_rows_from_test_items_csv(item, op, limit_value, unit, measurement, expected):
    limit = Limit(op, D(limit_value) if limit_value else None, unit)
    verdict = verdict_for(item, limit, measurement)
    assert (verdict.passed, verdict.result_text, verdict.limit_text) == expected


def test_a_realistic_failed_sample():
    items = [
        (
            item,
            verdict_for(item, Limit(op, D(value) if value else None, unit), measurement),
        )
        for item, op, value, unit, measurement in [
            ("腐霉利", "<=", "0.2", "mg/kg", result("0.46")),
            ("甲拌磷", "<=", "0.01", "mg/kg", not_detected()),
            ("克百威", "<=", "0.02", "mg/kg", result("50", "µg/kg")),
            ("毒死蜱", "<=", "0.05", "mg/kg", result("0.05")),
        ]
    ]
    assert sample_verdict(items) == (
        False,
        "腐霉利║0.46mg/kg║≤0.2mg/kg；克百威║50µg/kg║≤0.02mg/kg",
    )
