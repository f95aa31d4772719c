"""Samples, their labelled portions and photos, and the append-only custody events."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.clock import UTCDateTime, utcnow
from app.extensions import db
from app.reference.models import enum_column
from app.scheduling.models import Task


class SampleStatus(enum.Enum):
    SAMPLED = "sampled"  # sealed, on its way to the lab
    RECEIVED = "received"  # the lab checked the seals and took it
    REJECTED = "rejected"  # the lab refused it, with a written reason
    TESTING = "testing"  # the lab is testing the test portion
    REPORTED = "reported"  # results submitted for review
    VERIFIED = "verified"  # a second person verified the results
    PUBLISHED = "published"  # listed in a published notice


class SamplingStage(enum.Enum):
    PRODUCTION = "production"  # 生产
    CIRCULATION = "circulation"  # 流通
    CATERING = "catering"  # 餐饮


class Packaging(enum.Enum):
    PREPACKAGED = "prepackaged"  # 预包装
    BULK = "bulk"  # 散装


class Storage(enum.Enum):
    AMBIENT = "ambient"  # 常温
    CHILLED = "chilled"  # 冷藏
    FROZEN = "frozen"  # 冷冻


class PortionKind(enum.Enum):
    TEST = "test"  # 检验样品
    BACKUP = "backup"  # 复检备份样品


class Sample(db.Model):
    """One batch bought and sealed at a venue (抽样单), split into a test and a backup portion."""

    __tablename__ = "samples"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0 AND backup_quantity > 0", name="quantities_positive"),
        sa.CheckConstraint("sampler_a_id <> sampler_b_id", name="two_samplers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), unique=True)
    status: Mapped[SampleStatus] = mapped_column(enum_column(SampleStatus), index=True)
    official_number: Mapped[str] = mapped_column(sa.String(40), unique=True)  # 抽样单编号
    stage: Mapped[SamplingStage] = mapped_column(enum_column(SamplingStage))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sampled_on: Mapped[date]  # the day in Xinxiang, from which deadlines count
    # The business sampled (被抽样单位): the venue, plus what the form adds.
    stall_no: Mapped[str] = mapped_column(sa.String(40), default="")
    # The product.
    product_name: Mapped[str] = mapped_column(sa.String(120))
    brand: Mapped[str] = mapped_column(sa.String(80), default="")
    specification: Mapped[str] = mapped_column(sa.String(80), default="")
    batch_number: Mapped[str] = mapped_column(sa.String(80), default="")
    production_date: Mapped[date | None]
    purchase_date: Mapped[date | None]
    shelf_life: Mapped[str] = mapped_column(sa.String(40), default="")
    packaging: Mapped[Packaging] = mapped_column(enum_column(Packaging))
    unit_price: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    sampling_base: Mapped[str] = mapped_column(sa.String(40), default="")  # 抽样基数
    quantity: Mapped[int]
    backup_quantity: Mapped[int]
    quantity_unit: Mapped[str] = mapped_column(sa.String(20))
    storage: Mapped[Storage] = mapped_column(enum_column(Storage))
    standard: Mapped[str] = mapped_column(sa.String(120), default="")  # 执行标准
    # The nominal producer (标称生产企业).
    producer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    producer_address: Mapped[str] = mapped_column(sa.String(200), default="")
    producer_licence: Mapped[str] = mapped_column(sa.String(40), default="")  # SC number
    # The business's signature on the form, or its refusal to sign.
    business_signer: Mapped[str] = mapped_column(sa.String(60), default="")
    business_refused_to_sign: Mapped[bool] = mapped_column(default=False)
    sampler_a_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    sampler_b_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The lab must have the sample within 5 working days of sampling.
    lab_due_on: Mapped[date]
    lab_due_unofficial: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The lab reports within 20 working days of receipt.
    report_due_on: Mapped[date | None]
    seals_intact: Mapped[bool | None]
    rejection_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The custody chain's head, so a deleted last event shows.
    custody_count: Mapped[int] = mapped_column(default=0)
    custody_head: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[Task] = relationship()
    portions: Mapped[list["Portion"]] = relationship(
        back_populates="sample", order_by="Portion.kind.desc()"
    )
    photos: Mapped[list["SamplePhoto"]] = relationship(order_by="SamplePhoto.id")
    events: Mapped[list["CustodyEvent"]] = relationship(order_by="CustodyEvent.seq")
    sampler_a: Mapped[User] = relationship(foreign_keys=[sampler_a_id])
    sampler_b: Mapped[User] = relationship(foreign_keys=[sampler_b_id])

    def portion(self, kind: PortionKind) -> "Portion":
        return next(portion for portion in self.portions if portion.kind == kind)

    def __repr__(self) -> str:
        return f"<Sample {self.id} {self.official_number} {self.status.value}>"


class Portion(db.Model):
    """A separately sealed, labelled part of a sample; its label code opens /t/<code>."""

    __tablename__ = "portions"
    __table_args__ = (sa.UniqueConstraint("sample_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("samples.id"))
    kind: Mapped[PortionKind] = mapped_column(enum_column(PortionKind, 16))
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)

    sample: Mapped[Sample] = relationship(back_populates="portions")

    def __repr__(self) -> str:
        return f"<Portion {self.code} {self.kind.value}>"


class SamplePhoto(db.Model):
    """Evidence taken on site (goods, seals, receipt); the file lives under instance/."""

    __tablename__ = "sample_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("samples.id"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<SamplePhoto {self.id} {self.stored_name}>"


class CustodyEvent(db.Model):
    """One hand or state a sample passed through. Rows are only ever added; each carries the
    hash of the one before it (see app/sampling/custody.py)."""

    __tablename__ = "custody_events"
    __table_args__ = (sa.UniqueConstraint("sample_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("samples.id"), index=True)
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(30))
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(sa.String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<CustodyEvent {self.sample_id}#{self.seq} {self.action}>"
