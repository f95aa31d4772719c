"""Published notices: the PDF's bytes and SHA-256 are kept, and a notice is never edited."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import UTCDateTime, utcnow
from app.extensions import db
from app.reference.models import enum_column
from app.sampling.models import Sample


class NoticeStatus(enum.Enum):
    PUBLISHED = "published"
    SUPERSEDED = "superseded"  # a correction notice replaced it; both stay visible


class Notice(db.Model):
    """新乡市市场监督管理局食品安全抽检信息公告 YYYY年第N期."""

    __tablename__ = "notices"
    __table_args__ = (sa.UniqueConstraint("year", "issue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    issue: Mapped[int]
    number: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    task_source: Mapped[str] = mapped_column(sa.String(200))
    published_on: Mapped[date]
    status: Mapped[NoticeStatus] = mapped_column(
        enum_column(NoticeStatus), default=NoticeStatus.PUBLISHED
    )
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notices.id"))
    published_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    supersedes: Mapped["Notice | None"] = relationship(remote_side=[id])
    entries: Mapped[list["NoticeEntry"]] = relationship(
        back_populates="notice", order_by="NoticeEntry.position"
    )

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.year}-{self.issue}>"


class NoticeEntry(db.Model):
    """A sample listed in a notice (a correction notice lists it again)."""

    __tablename__ = "notice_entries"
    __table_args__ = (sa.UniqueConstraint("notice_id", "sample_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), index=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("samples.id"), index=True)
    position: Mapped[int]

    notice: Mapped[Notice] = relationship(back_populates="entries")
    sample: Mapped[Sample] = relationship()

    def __repr__(self) -> str:
        return f"<NoticeEntry {self.notice_id}:{self.sample_id}>"


class Rating(db.Model):
    """A reader's one-question satisfaction rating of a results page, with an optional comment."""

    __tablename__ = "ratings"
    __table_args__ = (sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page: Mapped[str] = mapped_column(sa.String(40), index=True)  # "sample", "search", "notice"
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Rating {self.id} {self.page} {self.score}>"


class PublishedSample(db.Model):
    """One row per published sample with what the public search filters on, so a search is
    one index range however many samples there are (the facts live on four other tables)."""

    __tablename__ = "published_samples"
    __table_args__ = (
        # Read backwards for "newest first"; equality on the first two columns.
        sa.Index(
            "ix_published_samples_search",
            "passed",
            "district_code",
            "sampled_on",
            "sample_id",
            # Category and venue type filtered inside the index: no table visits to count.
            postgresql_include=["category_code", "category_parent", "venue_type_key"],
        ),
        sa.Index("ix_published_samples_recent", "sampled_on", "sample_id"),
    )

    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("samples.id"), primary_key=True)
    sampled_on: Mapped[date]
    district_code: Mapped[str] = mapped_column(sa.String(6))
    venue_type_key: Mapped[str] = mapped_column(sa.String(40))
    category_code: Mapped[str] = mapped_column(sa.String(8))
    category_parent: Mapped[str | None] = mapped_column(sa.String(8))
    passed: Mapped[bool]
    search_text: Mapped[str] = mapped_column(sa.Text)  # food, producer, venue and brand

    def __repr__(self) -> str:
        return f"<PublishedSample {self.sample_id}>"
