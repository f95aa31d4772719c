"""Loading the shipped reference data, and the venue register."""

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import DomainError, NotFound
from app.extensions import db
from app.reference.models import (
    CalendarOverride,
    CategoryVenueType,
    District,
    DistrictKind,
    FoodCategory,
    LimitOp,
    TestItem,
    TestItemGroup,
    Venue,
    VenueType,
)
from app.reference.workdays import WorkingCalendar

DATA_DIR = Path(__file__).parent / "data"
# 统一社会信用代码: 18 characters from digits and capital letters without I, O, S, V, Z.
CREDIT_CODE_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _upsert(model, key: dict, values: dict) -> bool:
    """Insert or update one row by its natural key; True when something changed."""
    row = db.session.get(model, tuple(key.values()) if len(key) > 1 else next(iter(key.values())))
    if row is None:
        db.session.add(model(**key, **values))
        return True
    changed = False
    for field, value in values.items():
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed = True
    return changed


def load_reference_data() -> dict[str, int]:
    """Load districts, venue types, food categories, test-item groups and test items.

    Idempotent: running it again changes only rows whose shipped values changed.
    Returns the number of rows inserted or updated per table.
    """
    changes: dict[str, int] = {}
    changes["districts"] = sum(
        _upsert(
            District,
            {"code": row["code"]},
            {
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "kind": DistrictKind(row["kind"]),
            },
        )
        for row in _rows("districts.csv")
    )
    changes["venue_types"] = sum(
        _upsert(
            VenueType,
            {"key": row["key"]},
            {
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "campaign_theme": row["campaign_theme"] or None,
                "position": position,
            },
        )
        for position, row in enumerate(_rows("venue_types.csv"))
    )
    categories = _rows("food_categories.csv")
    # Parents first, so the self-reference is always satisfied.
    categories.sort(key=lambda row: (bool(row["parent_code"]), row["code"]))
    changes["food_categories"] = 0
    for row in categories:
        changes["food_categories"] += _upsert(
            FoodCategory,
            {"code": row["code"]},
            {"name_zh": row["name_zh"], "parent_code": row["parent_code"] or None},
        )
        db.session.flush()
    changes["test_item_groups"] = sum(
        _upsert(
            TestItemGroup,
            {"key": row["key"]},
            {"name_zh": row["name_zh"], "name_en": row["name_en"], "position": position},
        )
        for position, row in enumerate(_rows("test_item_groups.csv"))
    )
    db.session.flush()
    changes["test_items"] = 0
    for row in _rows("test_items.csv"):
        values = {
            "group_key": row["group"],
            "limit_op": LimitOp(row["limit_op"]),
            "limit_value": Decimal(row["limit_value"]) if row["limit_value"] else None,
            "unit": row["unit"],
            "standard": row["standard"],
            "verified": row["verified"] == "yes",
        }
        item = db.session.scalars(
            sa.select(TestItem).filter_by(
                category_code=row["category_code"], food=row["food"], name=row["item"]
            )
        ).first()
        if item is None:
            db.session.add(
                TestItem(
                    category_code=row["category_code"], food=row["food"], name=row["item"], **values
                )
            )
            changes["test_items"] += 1
            continue
        for field, value in values.items():
            if getattr(item, field) != value:
                setattr(item, field, value)
                changes["test_items"] += 1
    db.session.flush()
    changes["category_venue_types"] = _load_category_venue_types()
    return changes


def _load_category_venue_types() -> int:
    """The shipped table of where each category is sold; rows removed from the file go too."""
    wanted = {
        (row["category_code"], row["venue_type_key"]) for row in _rows("category_venue_types.csv")
    }
    present = set(
        db.session.execute(
            sa.select(CategoryVenueType.category_code, CategoryVenueType.venue_type_key)
        ).tuples()
    )
    for code, key in sorted(wanted - present):
        db.session.add(CategoryVenueType(category_code=code, venue_type_key=key))
    for code, key in present - wanted:
        db.session.execute(
            sa.delete(CategoryVenueType).filter_by(category_code=code, venue_type_key=key)
        )
    db.session.flush()
    return len(wanted ^ present)


def sold_at() -> frozenset[tuple[str, str]]:
    """(category code, venue type key) pairs: which venue types sell which categories."""
    return frozenset(
        db.session.execute(
            sa.select(CategoryVenueType.category_code, CategoryVenueType.venue_type_key)
        ).tuples()
    )


# --- Lookups ----------------------------------------------------------------------------------


def districts() -> list[District]:
    return list(db.session.scalars(sa.select(District).order_by(District.code)))


def venue_types() -> list[VenueType]:
    return list(db.session.scalars(sa.select(VenueType).order_by(VenueType.position)))


def food_categories() -> list[FoodCategory]:
    return list(db.session.scalars(sa.select(FoodCategory).order_by(FoodCategory.code)))


def test_item_groups() -> list[TestItemGroup]:
    return list(db.session.scalars(sa.select(TestItemGroup).order_by(TestItemGroup.position)))


# --- Venues -----------------------------------------------------------------------------------


def list_venues(district_code: str | None = None, active_only: bool = False) -> list[Venue]:
    query = sa.select(Venue).order_by(Venue.district_code, Venue.venue_type_key, Venue.name)
    if district_code:
        query = query.where(Venue.district_code == district_code)
    if active_only:
        query = query.where(Venue.active.is_(True))
    return list(db.session.scalars(query))


def get_venue(venue_id: int) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(_("未找到该场所。"))
    return venue


def _clean_venue_fields(
    name: str,
    address: str,
    district_code: str,
    venue_type_key: str,
    credit_code: str,
    licence_no: str,
) -> dict:
    name, address = name.strip(), address.strip()
    if not name:
        raise DomainError(_("请填写场所名称。"), field="name")
    if not address:
        raise DomainError(_("请填写场所地址。"), field="address")
    if db.session.get(District, district_code) is None:
        raise DomainError(_("未知的区县。"), field="district_code")
    if db.session.get(VenueType, venue_type_key) is None:
        raise DomainError(_("未知的场所类型。"), field="venue_type_key")
    credit_code = credit_code.strip().upper()
    if credit_code and not CREDIT_CODE_PATTERN.match(credit_code):
        raise DomainError(_("统一社会信用代码应为 18 位数字或大写字母。"), field="credit_code")
    return {
        "name": name,
        "address": address,
        "district_code": district_code,
        "venue_type_key": venue_type_key,
        "credit_code": credit_code or None,
        "licence_no": licence_no.strip() or None,
    }


def _ensure_unique_name(name: str, district_code: str, venue_id: int | None) -> None:
    query = sa.select(Venue.id).where(Venue.name == name, Venue.district_code == district_code)
    if venue_id is not None:
        query = query.where(Venue.id != venue_id)
    if db.session.scalars(query).first() is not None:
        raise DomainError(_("该区县已有同名场所。"), field="name")


def create_venue(
    *,
    name: str,
    address: str,
    district_code: str,
    venue_type_key: str,
    credit_code: str = "",
    licence_no: str = "",
) -> Venue:
    """Register a venue; raises DomainError for unknown districts/types or a duplicate name."""
    fields = _clean_venue_fields(
        name, address, district_code, venue_type_key, credit_code, licence_no
    )
    _ensure_unique_name(fields["name"], fields["district_code"], None)
    venue = Venue(**fields)
    db.session.add(venue)
    db.session.flush()
    return venue


def update_venue(
    venue: Venue,
    *,
    name: str,
    address: str,
    district_code: str,
    venue_type_key: str,
    credit_code: str = "",
    licence_no: str = "",
    active: bool = True,
) -> Venue:
    """Edit a venue, or deactivate it (it stays in past rounds but is no longer offered)."""
    fields = _clean_venue_fields(
        name, address, district_code, venue_type_key, credit_code, licence_no
    )
    _ensure_unique_name(fields["name"], fields["district_code"], venue.id)
    for field, value in fields.items():
        setattr(venue, field, value)
    venue.active = active
    db.session.flush()
    return venue


# --- The working-day calendar -------------------------------------------------------------------


def calendar_overrides() -> list[CalendarOverride]:
    return list(db.session.scalars(sa.select(CalendarOverride).order_by(CalendarOverride.day)))


def working_calendar() -> WorkingCalendar:
    """The PRC calendar with the administrators' overrides."""
    return WorkingCalendar(overrides={o.day: o.working for o in calendar_overrides()})


def set_calendar_override(day: date, working: bool, note: str) -> CalendarOverride:
    """Declare a day a working day or a day off, e.g. for a year the library does not know."""
    override = db.session.get(CalendarOverride, day)
    if override is None:
        override = CalendarOverride(day=day, working=working, note=note.strip())
        db.session.add(override)
    else:
        override.working, override.note = working, note.strip()
    db.session.flush()
    return override


def remove_calendar_override(day: date) -> None:
    override = db.session.get(CalendarOverride, day)
    if override is None:
        raise NotFound(_("没有这一天的设置。"))
    db.session.delete(override)
    db.session.flush()
