"""Rounds, their candidates, residents, one-time codes, ballots and suggestions."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import UTCDateTime, utcnow
from app.extensions import db
from app.reference.models import (
    FoodCategory,
    TestItem,
    TestItemGroup,
    Venue,
    VenueType,
    enum_column,
)


class RoundTheme(enum.Enum):
    CAMPUS = "campus"  # 你点我检进校园
    FESTIVAL = "festival"  # 进节日市场、进年货市场
    MARKET = "market"  # 进农贸市场、进商超
    GENERAL = "general"  # 综合


class RoundStatus(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ALLOCATED = "allocated"


class CandidateKind(enum.Enum):
    FOOD = "food"
    VENUE = "venue"
    VENUE_TYPE = "venue_type"
    TEST_GROUP = "test_group"


class Round(db.Model):
    """One campaign round: what residents may pick, and how the batches will be shared."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint("max_foods >= 1", name="max_foods_positive"),
        sa.CheckConstraint("max_venues >= 0", name="max_venues_not_negative"),
        sa.CheckConstraint("max_test_groups >= 0", name="max_test_groups_not_negative"),
        sa.CheckConstraint("batch_budget >= 1", name="batch_budget_positive"),
        sa.CheckConstraint("top_foods >= 1", name="top_foods_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    theme: Mapped[RoundTheme] = mapped_column(enum_column(RoundTheme))
    status: Mapped[RoundStatus] = mapped_column(
        enum_column(RoundStatus), default=RoundStatus.DRAFT, index=True
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_foods: Mapped[int] = mapped_column(default=5)
    max_venues: Mapped[int] = mapped_column(default=3)
    max_test_groups: Mapped[int] = mapped_column(default=3)
    batch_budget: Mapped[int] = mapped_column(default=100)
    top_foods: Mapped[int] = mapped_column(default=10)
    hide_counts: Mapped[bool] = mapped_column(default=False)
    # The scheduler publishes the draft at opens_at (a planner may publish it earlier).
    auto_open: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    candidates: Mapped[list["Candidate"]] = relationship(
        back_populates="round", order_by="Candidate.position, Candidate.id"
    )
    quotas: Mapped[list["VenueTypeQuota"]] = relationship(
        back_populates="round", order_by="VenueTypeQuota.venue_type_key"
    )

    def candidates_of(self, kind: CandidateKind) -> list["Candidate"]:
        return [candidate for candidate in self.candidates if candidate.kind == kind]

    def accepts_ballots_at(self, moment: datetime) -> bool:
        return self.status == RoundStatus.OPEN and self.opens_at <= moment < self.closes_at

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.status.value} {self.title}>"


candidate_test_items = sa.Table(
    "candidate_test_items",
    db.metadata,
    sa.Column("candidate_id", sa.ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("test_item_id", sa.ForeignKey("test_items.id"), primary_key=True),
)


class Candidate(db.Model):
    """Something a ballot may pick in one round: a food, a venue, a venue type or a test group."""

    __tablename__ = "candidates"
    __table_args__ = (
        # Lets ballot picks reference (round_id, id) so a pick can never cross rounds.
        sa.UniqueConstraint("round_id", "id"),
        sa.UniqueConstraint("round_id", "kind", "label"),
        sa.CheckConstraint(
            "(kind = 'food' AND food_category_code IS NOT NULL)"
            " OR (kind = 'venue' AND venue_id IS NOT NULL)"
            " OR (kind = 'venue_type' AND venue_type_key IS NOT NULL)"
            " OR (kind = 'test_group' AND test_group_key IS NOT NULL)",
            name="kind_has_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    kind: Mapped[CandidateKind] = mapped_column(enum_column(CandidateKind, 16))
    label: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    food_category_code: Mapped[str | None] = mapped_column(sa.ForeignKey("food_categories.code"))
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"))
    venue_type_key: Mapped[str | None] = mapped_column(sa.ForeignKey("venue_types.key"))
    test_group_key: Mapped[str | None] = mapped_column(sa.ForeignKey("test_item_groups.key"))

    round: Mapped[Round] = relationship(back_populates="candidates")
    food_category: Mapped[FoodCategory | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    venue_type: Mapped[VenueType | None] = relationship()
    test_group: Mapped[TestItemGroup | None] = relationship()
    test_items: Mapped[list[TestItem]] = relationship(
        secondary=candidate_test_items, order_by=TestItem.id
    )

    def __repr__(self) -> str:
        return f"<Candidate {self.id} {self.kind.value} {self.label}>"


class VenueTypeQuota(db.Model):
    """Exactly this many of the round's batches are sampled at this venue type."""

    __tablename__ = "venue_type_quotas"
    __table_args__ = (sa.CheckConstraint("batches >= 1", name="batches_positive"),)

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), primary_key=True)
    venue_type_key: Mapped[str] = mapped_column(sa.ForeignKey("venue_types.key"), primary_key=True)
    batches: Mapped[int]

    round: Mapped[Round] = relationship(back_populates="quotas")
    venue_type: Mapped[VenueType] = relationship()

    def __repr__(self) -> str:
        return f"<VenueTypeQuota {self.round_id} {self.venue_type_key}={self.batches}>"


class Resident(db.Model):
    """A resident known only by the HMAC of a verified phone number."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hmac: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Resident {self.id}>"


class OneTimeCode(db.Model):
    """A 6-digit code sent to a phone; only its HMAC is kept."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hmac: Mapped[str] = mapped_column(sa.String(64), index=True)
    code_hmac: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OneTimeCode {self.id}>"


class Ballot(db.Model):
    """A resident's picks in one round; at most one per resident and round."""

    __tablename__ = "ballots"
    __table_args__ = (sa.UniqueConstraint("round_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"))
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[Round] = relationship()
    picks: Mapped[list["BallotPick"]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Ballot {self.id} round={self.round_id} v{self.version}>"


class BallotPick(db.Model):
    __tablename__ = "ballot_picks"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["round_id", "candidate_id"],
            ["candidates.round_id", "candidates.id"],
            name="fk_ballot_picks_round_candidate",
        ),
        sa.Index("ix_ballot_picks_round_candidate", "round_id", "candidate_id"),
    )

    ballot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True
    )
    candidate_id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int]

    ballot: Mapped[Ballot] = relationship(back_populates="picks")
    candidate: Mapped[Candidate] = relationship(
        foreign_keys="[BallotPick.round_id, BallotPick.candidate_id]", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<BallotPick {self.ballot_id}->{self.candidate_id}>"


class SuggestionStatus(enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Suggestion(db.Model):
    """Free text from a resident ("please test X at Y"), moderated by planners."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[SuggestionStatus] = mapped_column(
        enum_column(SuggestionStatus), default=SuggestionStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    round: Mapped[Round] = relationship()

    def __repr__(self) -> str:
        return f"<Suggestion {self.id} {self.status.value}>"
