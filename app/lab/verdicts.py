"""Pass/fail verdicts for laboratory results: unit conversion, limit kinds and notice text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "ItemVerdict",
    "Limit",
    "LimitKind",
    "Measurement",
    "UnitError",
    "convert",
    "format_decimal",
    "normalise_unit",
    "sample_verdict",
    "verdict_for",
]

NOT_DETECTED_TEXT = "未检出"
ITEM_SEPARATOR = "║"
FAILED_ITEMS_SEPARATOR = "；"

MICRO = "\u00b5"  # MICRO SIGN, the spelling used in the reference data
_MICRO_VARIANTS = ("\u03bc", "u")  # GREEK SMALL LETTER MU, ASCII "u"

# Every unit of one dimension is a power of ten of that dimension's smallest unit, so a
# conversion only moves the decimal point: exact, whatever the context precision.
_MASS_FRACTION = "mass fraction"
_VOLUME_CONCENTRATION = "volume concentration"
_UNITS: dict[str, tuple[str, int]] = {
    "µg/kg": (_MASS_FRACTION, 0),
    "mg/kg": (_MASS_FRACTION, 3),
    "mg/100g": (_MASS_FRACTION, 4),
    "g/kg": (_MASS_FRACTION, 6),
    "mg/g": (_MASS_FRACTION, 6),
    "g/100g": (_MASS_FRACTION, 7),
    "µg/L": (_VOLUME_CONCENTRATION, 0),
    "mg/L": (_VOLUME_CONCENTRATION, 3),
    "g/L": (_VOLUME_CONCENTRATION, 6),
}


class UnitError(ValueError):
    """Two units that cannot be converted into each other."""

    def __init__(self, from_unit: str, to_unit: str, item_name: str | None = None) -> None:
        where = f"{item_name}: " if item_name else ""
        super().__init__(f"{where}cannot convert {from_unit!r} to {to_unit!r}")
        self.from_unit = from_unit
        self.to_unit = to_unit
        self.item_name = item_name


class LimitKind(StrEnum):
    """How a limit is applied; the values are test_items.csv's limit_op column."""

    MAX = "<="
    STRICT_MAX = "<"
    MIN = ">="
    NOT_DETECTED = "not_detected"
    NOT_PERMITTED = "not_permitted"


_NUMERIC_KINDS = frozenset({LimitKind.MAX, LimitKind.STRICT_MAX, LimitKind.MIN})
_SYMBOLS = {LimitKind.MAX: "≤", LimitKind.STRICT_MAX: "<", LimitKind.MIN: "≥"}
_WORDS = {LimitKind.NOT_DETECTED: "不得检出", LimitKind.NOT_PERMITTED: "不得使用"}


def normalise_unit(unit: str) -> str:
    """Return a unit without whitespace, with "ug"/"μg" (Greek mu) spelt "µg" (micro sign)."""
    unit = "".join(unit.split())
    for variant in _MICRO_VARIANTS:
        if unit.startswith(variant + "g/"):
            return MICRO + unit[len(variant) :]
    return unit


def _shift(value: Decimal, places: int) -> Decimal:
    """Multiply a finite Decimal by 10**places exactly (no rounding to the context)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return Decimal((sign, digits, exponent + places))


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert value from from_unit to to_unit exactly; raise UnitError for an unknown pair.

    Equal units (after normalise_unit) always convert, even ones not known here ("/50cm²").
    """
    _check_decimal(value, "value")
    source, target = normalise_unit(from_unit), normalise_unit(to_unit)
    if source == target:
        return value
    if source not in _UNITS or target not in _UNITS:
        raise UnitError(from_unit, to_unit)
    source_dimension, source_exponent = _UNITS[source]
    target_dimension, target_exponent = _UNITS[target]
    if source_dimension != target_dimension:
        raise UnitError(from_unit, to_unit)
    return _shift(value, source_exponent - target_exponent)


def format_decimal(value: Decimal) -> str:
    """Print a Decimal as written, in plain notation: 0.80 stays "0.80", 1E+2 becomes "100"."""
    if value.is_zero():
        value = value.copy_abs()
    return format(value, "f")


def _check_decimal(value: object, name: str) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, not {value}")


def _check_amount(value: object, name: str) -> None:
    _check_decimal(value, name)
    assert isinstance(value, Decimal)
    if value < 0:
        raise ValueError(f"{name} must not be negative, not {value}")


@dataclass(frozen=True)
class Limit:
    """A standard's limit: op is a LimitKind (or its csv spelling); value only for ≤, <, ≥."""

    op: LimitKind
    value: Decimal | None
    unit: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", LimitKind(self.op))
        if self.op in _NUMERIC_KINDS:
            if self.value is None:
                raise ValueError(f"a {self.op.value!r} limit needs a value")
            _check_amount(self.value, "limit value")
        elif self.value is not None:
            raise ValueError(f"a {self.op.value!r} limit has no value, got {self.value}")

    @property
    def text(self) -> str:
        """The limit as a notice prints it: "≤0.2mg/kg", "不得检出"."""
        if self.op in _WORDS:
            return _WORDS[self.op]
        assert self.value is not None
        return f"{_SYMBOLS[self.op]}{format_decimal(self.value)}{normalise_unit(self.unit)}"


@dataclass(frozen=True)
class Measurement:
    """A lab result: a value in unit, or not_detected; lod is the method's detection limit.

    A not-detected result may carry a value (ignored); lod_unit defaults to unit.
    """

    value: Decimal | None
    unit: str
    not_detected: bool
    lod: Decimal | None = None
    lod_unit: str | None = None

    def __post_init__(self) -> None:
        if self.value is None:
            if not self.not_detected:
                raise ValueError("a result is either not detected or has a value")
        else:
            _check_amount(self.value, "measured value")
        if self.lod is not None:
            _check_amount(self.lod, "detection limit")

    @property
    def text(self) -> str:
        """The result as a notice prints it: "0.35mg/kg" or "未检出"."""
        if self.not_detected:
            return NOT_DETECTED_TEXT
        assert self.value is not None
        return f"{format_decimal(self.value)}{normalise_unit(self.unit)}"


@dataclass(frozen=True)
class ItemVerdict:
    """The verdict on one test item, with the texts a notice prints."""

    passed: bool
    result_text: str
    limit_text: str


def _passes(limit: Limit, measurement: Measurement) -> bool:
    if measurement.not_detected:
        # Nothing found: fine for every kind except a quality minimum.
        return limit.op is not LimitKind.MIN
    assert measurement.value is not None
    # Converted for every kind, so a result in the wrong unit is an error, never a verdict.
    value = convert(measurement.value, measurement.unit, limit.unit)
    if limit.op is LimitKind.NOT_PERMITTED:
        return False
    if limit.op is LimitKind.NOT_DETECTED:
        if measurement.lod is None:
            return False
        lod_unit = measurement.unit if measurement.lod_unit is None else measurement.lod_unit
        return measurement.value <= convert(measurement.lod, lod_unit, measurement.unit)
    bound = limit.value
    assert bound is not None
    if limit.op is LimitKind.MAX:
        return value <= bound
    if limit.op is LimitKind.STRICT_MAX:
        return value < bound
    return value >= bound  # LimitKind.MIN


def verdict_for(item_name: str, limit: Limit, measurement: Measurement) -> ItemVerdict:
    """Judge one test item's result against its limit; raise UnitError for incompatible units.

    ≤ passes on the limit, < fails on it, ≥ passes on it; the value is converted into the
    limit's unit first. 不得检出 fails when the value is above the detection limit (or when no
    detection limit is given); 不得使用 fails on any reported value. A not-detected result
    passes every kind but a minimum. item_name is used only in error messages.
    """
    try:
        passed = _passes(limit, measurement)
    except UnitError as error:
        raise UnitError(error.from_unit, error.to_unit, item_name) from error
    return ItemVerdict(passed=passed, result_text=measurement.text, limit_text=limit.text)


def sample_verdict(items: Sequence[tuple[str, ItemVerdict]]) -> tuple[bool, str]:
    """Judge a sample: one failed item fails it. Return (passed, failed items' notice text).

    The text is "项目║结果║标准值" per failed item, in the given order, joined by "；";
    "" when every item passed. A sample without items cannot be judged (ValueError).
    """
    if not items:
        raise ValueError("a sample without test items cannot be judged")
    failed = [
        ITEM_SEPARATOR.join((name, verdict.result_text, verdict.limit_text))
        for name, verdict in items
        if not verdict.passed
    ]
    return not failed, FAILED_ITEMS_SEPARATOR.join(failed)
