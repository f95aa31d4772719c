"""Labs, test reports with their results, follow-ups of failed samples, and what becomes of
backup portions."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.clock import UTCDateTime, utcnow
from app.extensions import db
from app.reference.models import TestItem, enum_column
from app.sampling.models import Portion, Sample


class Lab(db.Model):
    """A testing laboratory; re-test labs are drawn at random from those marked `retest`."""

    __tablename__ = "labs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    retest: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Lab {self.id} {self.name}>"


class ReportStatus(enum.Enum):
    DRAFT = "draft"  # the analyst is entering results
    REPORTED = "reported"  # submitted for review
    RETURNED = "returned"  # the reviewer sent it back with a reason
    VERIFIED = "verified"  # a second person checked it: read-only from now on
    INVALIDATED = "invalidated"  # corrected after verification: a re-test report replaces it


class TestReport(db.Model):
    """One sample's results as a lab reports them; a correction after verification invalidates
    it and opens a new report that `supersedes` it."""

    __tablename__ = "test_reports"
    __test__ = False  # not a pytest test class despite the name

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("samples.id"), index=True)
    lab_id: Mapped[int] = mapped_column(sa.ForeignKey("labs.id"))
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus), default=ReportStatus.DRAFT, index=True
    )
    passed: Mapped[bool | None]
    failed_text: Mapped[str] = mapped_column(sa.Text, default="")
    analyst_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("test_reports.id"))
    correction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sample: Mapped[Sample] = relationship()
    lab: Mapped[Lab] = relationship()
    results: Mapped[list["Result"]] = relationship(
        back_populates="report", order_by="Result.id", cascade="all, delete-orphan"
    )
    analyst: Mapped[User | None] = relationship(foreign_keys=[analyst_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    supersedes: Mapped["TestReport | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<TestReport {self.id} sample={self.sample_id} {self.status.value}>"


class Result(db.Model):
    """One test item's result and its verdict against the item's limit."""

    __tablename__ = "results"
    __table_args__ = (sa.UniqueConstraint("report_id", "test_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("test_reports.id"))
    test_item_id: Mapped[int] = mapped_column(sa.ForeignKey("test_items.id"))
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 6))
    not_detected: Mapped[bool] = mapped_column(default=False)
    unit: Mapped[str] = mapped_column(sa.String(20))
    lod: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 6))
    lod_unit: Mapped[str | None] = mapped_column(sa.String(20))
    method: Mapped[str] = mapped_column(sa.String(120), default="")  # 检验依据
    standard: Mapped[str] = mapped_column(sa.String(120), default="")  # 判定依据
    passed: Mapped[bool]
    result_text: Mapped[str] = mapped_column(sa.String(60))
    # Who last entered or changed this result: none of them may verify the report.
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    limit_text: Mapped[str] = mapped_column(sa.String(60))

    report: Mapped[TestReport] = relationship(back_populates="results")
    test_item: Mapped[TestItem] = relationship()

    def __repr__(self) -> str:
        return f"<Result {self.report_id}/{self.test_item_id} {'pass' if self.passed else 'FAIL'}>"


class FollowUpStatus(enum.Enum):
    OPENED = "opened"
    BUSINESS_NOTIFIED = "business_notified"
    RETEST_REQUESTED = "retest_requested"
    RETEST_DONE = "retest_done"
    DISPOSED = "disposed"
    CLOSED = "closed"


class FollowUp(db.Model):
    """What the bureau does about a failed sample, each step with its working-day deadline."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("samples.id"), unique=True)
    status: Mapped[FollowUpStatus] = mapped_column(
        enum_column(FollowUpStatus), default=FollowUpStatus.OPENED
    )
    opened_on: Mapped[date]
    notify_due_on: Mapped[date]
    notified_on: Mapped[date | None]
    retest_allowed: Mapped[bool]  # no re-test when a microbiological item failed
    retest_window_ends_on: Mapped[date | None]
    retest_requested_on: Mapped[date | None]
    retest_lab_id: Mapped[int | None] = mapped_column(sa.ForeignKey("labs.id"))
    retest_conclusion: Mapped[str] = mapped_column(sa.Text, default="")
    measures: Mapped[str] = mapped_column(sa.Text, default="")  # stop sale, recall, penalty
    disposed_on: Mapped[date | None]
    close_due_on: Mapped[date]
    closed_on: Mapped[date | None]
    deadline_unofficial: Mapped[bool] = mapped_column(default=False)

    sample: Mapped[Sample] = relationship()
    retest_lab: Mapped[Lab | None] = relationship()

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} sample={self.sample_id} {self.status.value}>"


class BackupFate(enum.Enum):
    RELEASED_FOR_RETEST = "released_for_retest"
    DONATED = "donated"
    DESTROYED = "destroyed"


class BackupDisposal(db.Model):
    """What became of a backup portion after its retention (or when a re-test needs it)."""

    __tablename__ = "backup_disposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    portion_id: Mapped[int] = mapped_column(sa.ForeignKey("portions.id"), unique=True)
    fate: Mapped[BackupFate] = mapped_column(enum_column(BackupFate))
    on: Mapped[date]
    recipient: Mapped[str] = mapped_column(sa.String(120), default="")
    quantity: Mapped[str] = mapped_column(sa.String(40), default="")
    receipt_signed_by: Mapped[str] = mapped_column(sa.String(60), default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    portion: Mapped[Portion] = relationship()

    def __repr__(self) -> str:
        return f"<BackupDisposal {self.portion_id} {self.fate.value}>"
