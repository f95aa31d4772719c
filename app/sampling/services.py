"""The sampling form, label codes, the sample state machine with its custody chain, lab
intake, and the deadline for samples to reach the lab."""

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, User
from app.clock import to_shanghai
from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.reference.services import working_calendar
from app.sampling import codes
from app.sampling.custody import GENESIS, ChainLink, ChainProblem, verify_chain
from app.sampling.models import (
    CustodyEvent,
    Packaging,
    Portion,
    PortionKind,
    Sample,
    SamplePhoto,
    SampleStatus,
    SamplingStage,
    Storage,
)
from app.scheduling.models import PlanStatus, Task, TaskStatus
from app.scheduling.services import sync_alerts

OFFICIAL_NUMBER = re.compile(r"^(GC|SC|DC|XC)(\d{2})(\d{6})(\d{4,12})$")
SC_LICENCE = re.compile(r"^SC\d{14}$")
PHOTO_TYPES = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG\r\n\x1a\n": ("image/png", "png")}
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
LAB_DAYS = 5  # RULES.md: samples reach the lab within 5 working days of sampling

# action: (from status, to status, roles that may do it)
_LAB = {Role.LAB_ANALYST, Role.LAB_REVIEWER, Role.ADMIN}
_DONE = (SampleStatus.VERIFIED, SampleStatus.PUBLISHED)
# action: (the states it may start from, the state it leads to (None: unchanged), roles)
TRANSITIONS: dict[str, tuple[tuple, SampleStatus | None, set[Role]]] = {
    "sampled": ((None,), SampleStatus.SAMPLED, {Role.INSPECTOR, Role.ADMIN}),
    "handed_over": ((SampleStatus.SAMPLED,), None, {Role.INSPECTOR, Role.ADMIN}),
    "received": ((SampleStatus.SAMPLED,), SampleStatus.RECEIVED, _LAB),
    "rejected": ((SampleStatus.SAMPLED,), SampleStatus.REJECTED, _LAB),
    "testing": ((SampleStatus.RECEIVED,), SampleStatus.TESTING, {Role.LAB_ANALYST, Role.ADMIN}),
    "reported": ((SampleStatus.TESTING,), SampleStatus.REPORTED, {Role.LAB_ANALYST, Role.ADMIN}),
    "returned": ((SampleStatus.REPORTED,), SampleStatus.TESTING, {Role.LAB_REVIEWER, Role.ADMIN}),
    "verified": ((SampleStatus.REPORTED,), SampleStatus.VERIFIED, {Role.LAB_REVIEWER, Role.ADMIN}),
    "published": ((SampleStatus.VERIFIED,), SampleStatus.PUBLISHED, {Role.PUBLISHER, Role.ADMIN}),
    # A correction after verification (or publication): the report is invalidated and a
    # linked re-test report follows; a published sample then needs a correction notice.
    "corrected": (_DONE, SampleStatus.TESTING, _LAB),
    "backup_released": (_DONE, None, {Role.PLANNER, Role.ADMIN}),
    "backup_donated": (_DONE, None, _LAB),
    "backup_destroyed": (_DONE, None, _LAB),
}
REPORT_DAYS = 20  # RULES.md: the lab reports within 20 working days of receipt


# --- Working days -------------------------------------------------------------------------------


# --- The custody chain --------------------------------------------------------------------------


def _link(event: CustodyEvent) -> ChainLink:
    return ChainLink(
        sample_id=event.sample_id,
        seq=event.seq,
        action=event.action,
        from_status=event.from_status,
        to_status=event.to_status,
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        at=event.at.isoformat(timespec="microseconds"),
        latitude=event.latitude,
        longitude=event.longitude,
        note=event.note,
        prev_hash=event.prev_hash,
    )


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


def record_custody_event(
    sample: Sample,
    action: str,
    actor: User | None,
    now: datetime,
    *,
    note: str = "",
    location: Location | None = None,
) -> CustodyEvent:
    """Move the sample along the state machine and append the custody event that says so.

    Raises NotAllowed for a step the sample's state or the actor's role does not allow."""
    if action not in TRANSITIONS:
        raise NotAllowed(_("未知的操作。"))
    sources, target, roles = TRANSITIONS[action]
    current = sample.status if sample.custody_count else None
    if current not in sources:
        raise NotAllowed(_transition_refusal(action, current))
    target = target or current
    if actor is not None and actor.role not in roles:
        raise NotAllowed(_("您的角色不能执行此操作。"))
    event = CustodyEvent(
        sample_id=sample.id,
        seq=sample.custody_count + 1,
        action=action,
        from_status=current.value if current else None,
        to_status=target.value,
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else None,
        at=now.astimezone(UTC),
        latitude=location.latitude if location else None,
        longitude=location.longitude if location else None,
        note=note.strip()[:500],
        prev_hash=sample.custody_head or GENESIS,
        hash="",
    )
    event.hash = _link(event).digest()
    db.session.add(event)
    sample.status = target
    sample.custody_count = event.seq
    sample.custody_head = event.hash
    try:
        db.session.flush()
    except IntegrityError as error:
        # Someone else recorded a step on this sample at the same moment (two scanners).
        raise NotAllowed(_("该样品刚被其他人处理，请刷新后再试。")) from error
    return event


def _transition_refusal(action: str, current: SampleStatus | None) -> str:
    if action == "received" and current == SampleStatus.RECEIVED:
        return _("该样品已经接收过了。")
    if action in ("received", "rejected") and current == SampleStatus.REJECTED:
        return _("该样品已被拒收。")
    if action == "sampled":
        return _("该任务已经抽过样。")
    if action == "testing" and current == SampleStatus.SAMPLED:
        return _("样品尚未被检验机构接收，不能开始检验或录入结果。")
    return _("样品当前的状态不允许这一步操作。")


def verify_custody() -> list[ChainProblem]:
    """Every edited, inserted or deleted custody event, over all samples."""
    problems: list[ChainProblem] = []
    events: dict[int, list[CustodyEvent]] = {}
    for event in db.session.scalars(
        sa.select(CustodyEvent).order_by(CustodyEvent.sample_id, CustodyEvent.seq)
    ):
        events.setdefault(event.sample_id, []).append(event)
    samples = db.session.execute(
        sa.select(Sample.id, Sample.custody_head, Sample.custody_count, Sample.status)
    ).all()
    known = set()
    for sample_id, head, count, status in samples:
        known.add(sample_id)
        chain = events.get(sample_id, [])
        links = [(_link(event), event.hash) for event in chain]
        problems.extend(verify_chain(sample_id, links, head, count))
        if chain and chain[-1].to_status != status.value:
            problems.append(
                ChainProblem(
                    sample_id,
                    None,
                    "edited",
                    f"status {status.value} differs from the last event's {chain[-1].to_status}",
                )
            )
    for sample_id in sorted(set(events) - known):
        problems.append(ChainProblem(sample_id, None, "inserted", "events of an unknown sample"))
    return problems


# --- The sampling form --------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoUpload:
    data: bytes


@dataclass
class SamplingRecord:
    """What the inspector typed on the sampling form (shape already checked by the form)."""

    official_number: str
    stage: SamplingStage
    product_name: str
    packaging: Packaging
    storage: Storage
    quantity: int
    backup_quantity: int
    quantity_unit: str
    sampled_on: date
    brand: str = ""
    specification: str = ""
    batch_number: str = ""
    production_date: date | None = None
    purchase_date: date | None = None
    shelf_life: str = ""
    unit_price: Decimal | None = None
    sampling_base: str = ""
    standard: str = ""
    stall_no: str = ""
    producer_name: str = ""
    producer_address: str = ""
    producer_licence: str = ""
    business_signer: str = ""
    business_refused_to_sign: bool = False
    photos: list[PhotoUpload] = field(default_factory=list)


def _check_record(record: SamplingRecord, today: date) -> None:
    number = OFFICIAL_NUMBER.match(record.official_number)
    if not number:
        raise DomainError(
            _("抽样单编号格式应为 GC/SC/DC/XC + 2 位年份 + 6 位地区代码 + 流水号。"),
            field="official_number",
        )
    if int(number.group(2)) != record.sampled_on.year % 100:
        raise DomainError(_("抽样单编号中的年份与抽样日期不符。"), field="official_number")
    if record.sampled_on > today:
        raise DomainError(_("抽样日期不能晚于今天。"), field="sampled_on")
    for name, value in (
        ("production_date", record.production_date),
        ("purchase_date", record.purchase_date),
    ):
        if value and value > record.sampled_on:
            raise DomainError(_("生产日期和购进日期不能晚于抽样日期。"), field=name)
    if not (record.batch_number or record.production_date or record.purchase_date):
        raise DomainError(_("请填写生产日期、批号或购进日期中的至少一项。"), field="batch_number")
    if record.producer_licence and not SC_LICENCE.match(record.producer_licence):
        raise DomainError(_("食品生产许可证编号应为 SC 加 14 位数字。"), field="producer_licence")
    if record.unit_price is not None and record.unit_price < 0:
        raise DomainError(_("单价不能为负数。"), field="unit_price")
    if not record.business_signer and not record.business_refused_to_sign:
        raise DomainError(
            _("请填写被抽样单位签字人，或勾选“被抽样单位拒绝签字”。"), field="business_signer"
        )
    if len(record.photos) > MAX_PHOTOS:
        raise DomainError(_("照片最多 %(num)d 张。", num=MAX_PHOTOS), field="photos")
    for photo in record.photos:
        photo_type(photo.data)


def photo_type(data: bytes) -> tuple[str, str]:
    """(content type, extension) of a JPEG or PNG photo; DomainError for anything else."""
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_("每张照片不能超过 5 MB。"), field="photos")
    for magic, kind in PHOTO_TYPES.items():
        if data.startswith(magic):
            return kind
    raise DomainError(_("照片只能是 JPEG 或 PNG 格式。"), field="photos")


def photo_dir() -> Path:
    return Path(current_app.config["PHOTO_DIR"])


def _store_photos(sample: Sample, photos: list[PhotoUpload], written: list[Path]) -> None:
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for photo in photos:
        content_type, extension = photo_type(photo.data)
        name = f"{uuid.uuid4().hex}.{extension}"
        path = folder / name
        path.write_bytes(photo.data)
        written.append(path)
        db.session.add(
            SamplePhoto(
                sample_id=sample.id,
                stored_name=name,
                content_type=content_type,
                size=len(photo.data),
                sha256=hashlib.sha256(photo.data).hexdigest(),
            )
        )


def _new_portion_codes() -> tuple[str, str]:
    while True:
        pair = (codes.new_code(), codes.new_code())
        taken = db.session.scalars(sa.select(Portion.code).where(Portion.code.in_(pair))).first()
        if pair[0] != pair[1] and taken is None:
            return pair


def get_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(_("未找到该任务。"))
    return task


def _require_my_open_task(task: Task, inspector: User) -> None:
    if task.plan.status != PlanStatus.RELEASED:
        raise NotFound(_("未找到该任务。"))
    if inspector.role != Role.ADMIN and inspector.id not in (
        task.inspector_a_id,
        task.inspector_b_id,
    ):
        raise NotAllowed(_("这不是您的任务。"))
    if task.status == TaskStatus.SAMPLED:
        raise NotAllowed(_("该任务已经抽过样。"))
    if not task.is_open:
        raise NotAllowed(_("该任务已完成或已取消，不能再修改。"))


def record_sample(
    task: Task,
    record: SamplingRecord,
    inspector: User,
    now: datetime,
    location: Location | None = None,
    written: list[Path] | None = None,
) -> Sample:
    """Record the sampling form: the sample, its two labelled portions, its photos and the
    first custody event. The task becomes sampled. `written` collects the photo files saved,
    so the caller can remove them if the transaction does not commit."""
    _require_my_open_task(task, inspector)
    _check_record(record, to_shanghai(now).date())
    if db.session.scalars(
        sa.select(Sample.id).where(Sample.official_number == record.official_number)
    ).first():
        raise DomainError(_("该抽样单编号已被使用。"), field="official_number")
    deadline = working_calendar().add_working_days(record.sampled_on, LAB_DAYS)
    fields = {name: value for name, value in record.__dict__.items() if name != "photos"}
    sample = Sample(
        task_id=task.id,
        status=SampleStatus.SAMPLED,
        sampled_at=now,
        sampler_a_id=task.inspector_a_id,
        sampler_b_id=task.inspector_b_id,
        recorded_by_id=inspector.id,
        lab_due_on=deadline.due,
        lab_due_unofficial=bool(deadline.unofficial_years),
        **fields,
    )
    db.session.add(sample)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise NotAllowed(_("该任务已经抽过样。")) from error
    test_code, backup_code = _new_portion_codes()
    db.session.add_all(
        [
            Portion(sample_id=sample.id, kind=PortionKind.TEST, code=test_code),
            Portion(sample_id=sample.id, kind=PortionKind.BACKUP, code=backup_code),
        ]
    )
    _store_photos(sample, record.photos, written if written is not None else [])
    # A new sample has no status yet: the first event makes it "sampled".
    sample.custody_count = 0
    record_custody_event(sample, "sampled", inspector, now, location=location)
    _close_task(task, TaskStatus.SAMPLED)
    db.session.flush()
    db.session.refresh(sample)
    return sample


NOT_SAMPLED_REASONS = ("closed", "not_on_sale", "refused")


def mark_not_sampled(task: Task, reason: str, note: str, inspector: User) -> Task:
    """The inspectors could not sample: the venue was closed, the food not on sale, or the
    business refused."""
    _require_my_open_task(task, inspector)
    if reason not in NOT_SAMPLED_REASONS:
        raise DomainError(_("请选择未抽到的原因。"), field="reason")
    _close_task(task, TaskStatus.NOT_SAMPLED)
    task.note = " ".join(f"{reason} {note}".split())[:500]
    db.session.flush()
    return task


def _close_task(task: Task, status: TaskStatus) -> None:
    """Compare-and-set: of the two inspectors (or a planner cancelling) acting at once, one
    wins and the other is told."""
    changed = db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.status.in_([TaskStatus.PLANNED, TaskStatus.ASSIGNED]))
        .values(status=status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotAllowed(_("该任务刚被同组或计划人员处理，请刷新。"))
    db.session.refresh(task)


# --- Finding samples by label -------------------------------------------------------------------


def find_portion(text: str) -> Portion:
    """The portion a typed or scanned label code names; DomainError for a code whose check
    symbol is wrong (a typo), NotFound for a well-formed code nobody issued."""
    code = codes.normalize(text)
    if len(code) != codes.CODE_LENGTH or not codes.is_valid(code):
        raise DomainError(_("编号有误：请核对标签上的 10 位编号。"), field="code")
    portion = db.session.scalars(sa.select(Portion).where(Portion.code == code)).first()
    if portion is None:
        raise NotFound(_("没有这个编号的样品。"))
    return portion


def code_from_url_or_text(text: str) -> str:
    """Scanners read the whole URL (…/t/<code>); people type the code."""
    text = (text or "").strip()
    if "/t/" in text:
        text = text.rsplit("/t/", 1)[1].split("?")[0].split("#")[0]
    return text


def receive(portion: Portion, actor: User, now: datetime, note: str = "") -> Sample:
    """The lab takes the sample with its seals intact; a second receipt is refused."""
    sample = portion.sample
    record_custody_event(sample, "received", actor, now, note=note)
    sample.received_at = now
    sample.seals_intact = True
    sample.report_due_on = (
        working_calendar().add_working_days(to_shanghai(now).date(), REPORT_DAYS).due
    )
    db.session.flush()
    return sample


def reject(portion: Portion, actor: User, reason: str, now: datetime) -> Sample:
    """The lab refuses a non-conforming sample (broken seals, wrong storage…) with a reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("拒收必须写明原因。"), field="reason")
    sample = portion.sample
    record_custody_event(sample, "rejected", actor, now, note=reason)
    sample.seals_intact = False
    sample.rejection_reason = reason
    db.session.flush()
    return sample


def _require_sampler(sample: Sample, actor: User) -> None:
    if actor.role != Role.ADMIN and actor.id not in (sample.sampler_a_id, sample.sampler_b_id):
        raise NotAllowed(_("只有抽取该样品的抽样员可以记录交接。"))


def hand_over(
    portion: Portion, actor: User, to_whom: str, now: datetime, location: Location | None = None
) -> Sample:
    """An inspector hands the sealed sample on (to a courier, a colleague): who took it."""
    to_whom = " ".join((to_whom or "").split())
    if not to_whom:
        raise DomainError(_("请写明交给了谁。"), field="to_whom")
    _require_sampler(portion.sample, actor)
    record_custody_event(portion.sample, "handed_over", actor, now, note=to_whom, location=location)
    return portion.sample


def allowed_actions(sample: Sample, user: User | None) -> list[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [
        action
        for action, (sources, _target, roles) in TRANSITIONS.items()
        if action != "sampled" and sample.status in sources and user.role in roles
    ]


# Steps the public may see before publication: logistics, never a hint of the outcome.
PUBLIC_STEPS = ("sampled", "handed_over", "received", "rejected", "testing", "published")


def public_events(sample: Sample) -> list[CustodyEvent]:
    return [event for event in sample.events if event.action in PUBLIC_STEPS]


# --- Deadlines ----------------------------------------------------------------------------------


def late_to_lab(today: date) -> list[Sample]:
    return list(
        db.session.scalars(
            sa.select(Sample)
            .where(Sample.status == SampleStatus.SAMPLED, Sample.lab_due_on < today)
            .order_by(Sample.lab_due_on)
        )
    )


def watch_deadlines(now: datetime) -> int:
    """Alert on every sample not at the lab by its deadline; returns how many."""
    late = late_to_lab(to_shanghai(now).date())
    sync_alerts(
        "sample_late_to_lab",
        {
            f"sample:{sample.id}": _(
                "样品 %(number)s 应于 %(due)s 前送达检验机构，尚未接收。",
                number=sample.official_number,
                due=sample.lab_due_on.isoformat(),
            )
            for sample in late
        },
        now,
    )
    return len(late)


def samples_of(user: User) -> list[Sample]:
    """An inspector's recent samples, newest first."""
    return list(
        db.session.scalars(
            sa.select(Sample)
            .where(sa.or_(Sample.sampler_a_id == user.id, Sample.sampler_b_id == user.id))
            .order_by(Sample.sampled_at.desc())
            .limit(50)
        )
    )


def get_sample(sample_id: int) -> Sample:
    sample = db.session.get(Sample, sample_id)
    if sample is None:
        raise NotFound(_("未找到该样品。"))
    return sample


def sample_for(user: User, sample_id: int, *, photos: bool = False) -> Sample:
    """A sample the user may see: inspectors only their own, publishers no photos (the form
    names the business's signer; the photos show people). NotFound otherwise, so ids cannot
    be probed."""
    sample = get_sample(sample_id)
    if user.role == Role.INSPECTOR and user.id not in (sample.sampler_a_id, sample.sampler_b_id):
        raise NotFound(_("未找到该样品。"))
    if photos and user.role == Role.PUBLISHER:
        raise NotFound(_("未找到该照片。"))
    return sample


def task_for_sampling(task_id: int, inspector: User) -> Task:
    """A released, open task of the inspector's team (any for an administrator)."""
    task = get_task(task_id)
    _require_my_open_task(task, inspector)
    return task


def get_photo(photo_id: int) -> SamplePhoto:
    photo = db.session.get(SamplePhoto, photo_id)
    if photo is None:
        raise NotFound(_("未找到该照片。"))
    return photo


def recent_samples(limit: int = 100) -> list[Sample]:
    return list(
        db.session.scalars(sa.select(Sample).order_by(Sample.sampled_at.desc()).limit(limit))
    )
