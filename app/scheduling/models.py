"""Sampling plans and their tasks, the scheduler's heartbeat and the alerts its jobs raise."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.clock import UTCDateTime, utcnow
from app.extensions import db
from app.reference.models import TestItemGroup, Venue, enum_column
from app.voting.models import Candidate, Round


class PlanStatus(enum.Enum):
    DRAFT = "draft"  # generated, being reviewed by a planner
    RELEASED = "released"  # on the inspectors' task lists


class SamplingPlan(db.Model):
    """The plan made from one round's votes: at most one per round (UNIQUE)."""

    __tablename__ = "sampling_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), unique=True)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.DRAFT)
    made_by: Mapped[str] = mapped_column(sa.String(40))  # "scheduler", "cli" or a username
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    round: Mapped[Round] = relationship()
    tasks: Mapped[list["Task"]] = relationship(back_populates="plan", order_by="Task.id")

    def __repr__(self) -> str:
        return f"<SamplingPlan {self.id} round={self.round_id} {self.status.value}>"


class TaskStatus(enum.Enum):
    PLANNED = "planned"
    ASSIGNED = "assigned"
    SAMPLED = "sampled"
    NOT_SAMPLED = "not_sampled"
    CANCELLED = "cancelled"


class VenueRuleKind(enum.Enum):
    FOLLOW_UP = "follow_up"
    VOTED_VENUE = "voted_venue"
    DISTRICT_SPREAD = "district_spread"
    REARRANGED = "rearranged"
    ADDED_BY_PLANNER = "added_by_planner"


task_test_groups = sa.Table(
    "task_test_groups",
    db.metadata,
    sa.Column("task_id", sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("test_group_key", sa.ForeignKey("test_item_groups.key"), primary_key=True),
)


class Task(db.Model):
    """Buy one batch of a food at a venue: why it exists, who goes, and by when."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "food_candidate_id", "venue_id"),
        sa.CheckConstraint(
            "inspector_a_id IS NULL OR inspector_a_id <> inspector_b_id", name="two_inspectors"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("sampling_plans.id"), index=True)
    food_candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("candidates.id"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"), index=True)
    status: Mapped[TaskStatus] = mapped_column(
        enum_column(TaskStatus), default=TaskStatus.PLANNED, index=True
    )
    inspector_a_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    inspector_b_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_on: Mapped[date | None]
    # Why the task exists.
    food_rank: Mapped[int | None]
    food_votes: Mapped[int] = mapped_column(default=0)
    venue_votes: Mapped[int] = mapped_column(default=0)
    venue_rule: Mapped[VenueRuleKind] = mapped_column(enum_column(VenueRuleKind))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    plan: Mapped[SamplingPlan] = relationship(back_populates="tasks")
    food: Mapped[Candidate] = relationship()
    venue: Mapped[Venue] = relationship()
    inspector_a: Mapped[User | None] = relationship(foreign_keys=[inspector_a_id])
    inspector_b: Mapped[User | None] = relationship(foreign_keys=[inspector_b_id])
    # The test-item groups residents picked travel with the task to the lab.
    test_groups: Mapped[list[TestItemGroup]] = relationship(
        secondary=task_test_groups, order_by=TestItemGroup.position
    )

    @property
    def is_open(self) -> bool:
        return self.status in (TaskStatus.PLANNED, TaskStatus.ASSIGNED)

    def __repr__(self) -> str:
        return (
            f"<Task {self.id} {self.status.value} food={self.food_candidate_id} v={self.venue_id}>"
        )


class SchedulerHeartbeat(db.Model):
    """Written by the scheduler process every 30 s; read by `flask doctor` and the dashboard."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pid: Mapped[int]
    hostname: Mapped[str] = mapped_column(sa.String(120))

    def __repr__(self) -> str:
        return f"<SchedulerHeartbeat {self.name} {self.beat_at}>"


class Alert(db.Model):
    """Something staff must see on the dashboard; one per (kind, subject) until resolved."""

    __tablename__ = "alerts"
    __table_args__ = (sa.UniqueConstraint("kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(80))
    message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Alert {self.kind}:{self.subject}>"
