"""Reference data: districts, venue types, food categories, test items and limits, venues."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import UTCDateTime, utcnow
from app.extensions import db


def enum_column(enum_class: type[enum.Enum], length: int = 32) -> sa.Enum:
    """A portable enum stored as its value, checked by the database."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=length,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        name=enum_class.__name__.lower(),
    )


class DistrictKind(enum.Enum):
    DISTRICT = "district"
    COUNTY = "county"
    COUNTY_CITY = "county_city"


class District(db.Model):
    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[DistrictKind] = mapped_column(enum_column(DistrictKind))

    def __repr__(self) -> str:
        return f"<District {self.code} {self.name_zh}>"


class VenueType(db.Model):
    __tablename__ = "venue_types"

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    campaign_theme: Mapped[str | None] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<VenueType {self.key}>"


class FoodCategory(db.Model):
    __tablename__ = "food_categories"

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("food_categories.code"))

    parent: Mapped["FoodCategory | None"] = relationship(remote_side=[code])

    def __repr__(self) -> str:
        return f"<FoodCategory {self.code} {self.name_zh}>"


class TestItemGroup(db.Model):
    __tablename__ = "test_item_groups"
    __test__ = False  # not a pytest test class despite the name

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(60))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<TestItemGroup {self.key}>"


class LimitOp(enum.Enum):
    MAX = "<="
    STRICT_MAX = "<"
    MIN = ">="
    NOT_DETECTED = "not_detected"
    NOT_PERMITTED = "not_permitted"


class TestItem(db.Model):
    """A test item and its limit for one food (or, with food '*', for a whole category)."""

    __tablename__ = "test_items"
    __test__ = False  # not a pytest test class despite the name
    __table_args__ = (sa.UniqueConstraint("category_code", "food", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(sa.ForeignKey("food_categories.code"))
    food: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(120))
    group_key: Mapped[str] = mapped_column(sa.ForeignKey("test_item_groups.key"))
    limit_op: Mapped[LimitOp] = mapped_column(enum_column(LimitOp, 16))
    limit_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 6))
    unit: Mapped[str] = mapped_column(sa.String(20))
    standard: Mapped[str] = mapped_column(sa.String(120))
    verified: Mapped[bool] = mapped_column(default=False)

    category: Mapped[FoodCategory] = relationship()
    group: Mapped[TestItemGroup] = relationship()

    def __repr__(self) -> str:
        return f"<TestItem {self.id} {self.food}/{self.name}>"


class Venue(db.Model):
    """A place where food is sold or served and can be sampled."""

    __tablename__ = "venues"
    __table_args__ = (sa.UniqueConstraint("district_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.String(200))
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("districts.code"), index=True)
    venue_type_key: Mapped[str] = mapped_column(sa.ForeignKey("venue_types.key"), index=True)
    credit_code: Mapped[str | None] = mapped_column(sa.String(18))
    licence_no: Mapped[str | None] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship()
    venue_type: Mapped[VenueType] = relationship()

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name}>"


class CategoryVenueType(db.Model):
    """Food of this category is sold at venues of this type (sub-categories inherit)."""

    __tablename__ = "category_venue_types"

    category_code: Mapped[str] = mapped_column(
        sa.ForeignKey("food_categories.code"), primary_key=True
    )
    venue_type_key: Mapped[str] = mapped_column(sa.ForeignKey("venue_types.key"), primary_key=True)

    def __repr__(self) -> str:
        return f"<CategoryVenueType {self.category_code}@{self.venue_type_key}>"


class CalendarOverride(db.Model):
    """An administrator's word on one day: a working day or a day off (wins over the library)."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(120), default="")

    def __repr__(self) -> str:
        return f"<CalendarOverride {self.day} {'work' if self.working else 'off'}>"
