"""Results and verdicts, the four-eyes review, corrections, CSV imports, follow-ups of failed
samples with their deadlines, and backup retention."""

import re
import secrets
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.accounts.models import Role, User
from app.clock import to_shanghai, utcnow
from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.lab.csv_results import ResultRow, RowError, parse_results
from app.lab.models import (
    BackupDisposal,
    BackupFate,
    FollowUp,
    FollowUpStatus,
    Lab,
    ReportStatus,
    Result,
    TestReport,
)
from app.lab.verdicts import (
    ItemVerdict,
    Limit,
    Measurement,
    UnitError,
    sample_verdict,
    verdict_for,
)
from app.reference.models import TestItem
from app.reference.services import working_calendar
from app.sampling.models import PortionKind, Sample, SampleStatus
from app.sampling.services import REPORT_DAYS, find_portion, record_custody_event
from app.scheduling.services import sync_alerts

EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
MICROBIOLOGICAL = "microbe"


# --- Labs and test items ------------------------------------------------------------------------


def primary_lab() -> Lab:
    lab = db.session.scalars(
        sa.select(Lab).where(Lab.active.is_(True), Lab.retest.is_(False)).order_by(Lab.id)
    ).first()
    if lab is None:
        raise DomainError(_("还没有登记检验机构，请管理员先添加（flask lab add-lab）。"))
    return lab


def add_lab(name: str, retest: bool) -> Lab:
    name = name.strip()
    if not name:
        raise DomainError(_("请填写检验机构名称。"))
    if db.session.scalars(sa.select(Lab.id).where(Lab.name == name)).first():
        raise DomainError(_("该检验机构已登记。"))
    lab = Lab(name=name, retest=retest)
    db.session.add(lab)
    db.session.flush()
    return lab


def items_for(sample: Sample) -> list[TestItem]:
    """What the lab tests: the food's default items, then the items of the test-item groups
    residents asked for that apply to the food's category."""
    food = sample.task.food
    items = list(food.test_items)
    groups = [group.key for group in sample.task.test_groups]
    if groups:
        category = food.food_category
        codes = [category.code] + ([category.parent_code] if category.parent_code else [])
        extra = db.session.scalars(
            sa.select(TestItem)
            .where(
                TestItem.group_key.in_(groups),
                TestItem.category_code.in_(codes),
                TestItem.food.in_([food.label, "*"]),
            )
            .order_by(TestItem.id)
        )
        names = {item.name for item in items}
        items += [item for item in extra if item.name not in names]
    return items


# --- Reports and results ------------------------------------------------------------------------


def current_report(sample: Sample) -> TestReport | None:
    return db.session.scalars(
        sa.select(TestReport)
        .where(TestReport.sample_id == sample.id, TestReport.status != ReportStatus.INVALIDATED)
        .order_by(TestReport.id.desc())
    ).first()


def get_sample(sample_id: int) -> Sample:
    sample = db.session.get(Sample, sample_id)
    if sample is None:
        raise NotFound(_("未找到该样品。"))
    return sample


def start_testing(sample: Sample, analyst: User, now: datetime) -> TestReport:
    """Begin testing a received sample: a draft report at the first lab."""
    record_custody_event(sample, "testing", analyst, now)
    report = TestReport(sample_id=sample.id, lab_id=primary_lab().id, analyst_id=analyst.id)
    db.session.add(report)
    db.session.flush()
    return report


def _limit(item: TestItem) -> Limit:
    value = item.limit_value.normalize() if item.limit_value is not None else None
    return Limit(op=item.limit_op.value, value=value, unit=item.unit)


@dataclass(frozen=True)
class ResultEntry:
    item_name: str
    value: Decimal | None
    not_detected: bool
    unit: str
    lod: Decimal | None = None
    lod_unit: str | None = None
    method: str = ""
    standard: str = ""


def check_amount(value: Decimal | None) -> None:
    """Results and detection limits fit the database exactly: 12 integer digits, 6 decimals."""
    if value is None:
        return
    if (
        not value.is_finite()
        or value < 0
        or value.adjusted() > 11
        or value.as_tuple().exponent < -6
    ):
        raise DomainError(_("数值超出范围：最多 12 位整数、6 位小数。"))


def _require_editable(report: TestReport, analyst: User) -> None:
    if report.status not in EDITABLE:
        raise NotAllowed(_("已提交或已审核的检验结果不能修改。"))
    if analyst.role not in (Role.LAB_ANALYST, Role.ADMIN):
        raise NotAllowed(_("您的角色不能执行此操作。"))


def enter_result(report: TestReport, entry: ResultEntry, analyst: User) -> Result:
    """Record one item's result and its verdict; raises DomainError for an item the sample is
    not tested for, a missing value, or units that cannot be compared."""
    _require_editable(report, analyst)
    item = next((i for i in items_for(report.sample) if i.name == entry.item_name), None)
    if item is None:
        raise DomainError(_("该样品不检测“%(item)s”。", item=entry.item_name))
    if not entry.not_detected and entry.value is None:
        raise DomainError(_("请填写“%(item)s”的检验结果或勾选未检出。", item=item.name))
    check_amount(entry.value)
    check_amount(entry.lod)
    measurement = Measurement(
        value=None if entry.not_detected else entry.value,
        unit=entry.unit,
        not_detected=entry.not_detected,
        lod=entry.lod,
        lod_unit=entry.lod_unit or (entry.unit if entry.lod is not None else None),
    )
    try:
        verdict = verdict_for(item.name, _limit(item), measurement)
    except UnitError as error:
        raise DomainError(
            _(
                "“%(item)s”的单位 %(unit)s 无法与标准值单位 %(limit)s 换算。",
                item=item.name,
                unit=entry.unit,
                limit=item.unit,
            )
        ) from error
    result = next((r for r in report.results if r.test_item_id == item.id), None)
    if result is None:
        result = Result(report=report, test_item_id=item.id)
        db.session.add(result)
    result.value = measurement.value
    result.not_detected = entry.not_detected
    result.unit = entry.unit
    result.lod = entry.lod
    result.lod_unit = measurement.lod_unit
    result.method = entry.method.strip()
    result.standard = entry.standard.strip() or item.standard
    result.passed = verdict.passed
    result.result_text = verdict.result_text
    result.limit_text = verdict.limit_text
    result.entered_by_id = analyst.id
    report.analyst_id = analyst.id
    db.session.flush()
    return result


def submit_report(report: TestReport, analyst: User, now: datetime) -> TestReport:
    """Send the results for review once every item has one; one failed item fails the sample."""
    _require_editable(report, analyst)
    done = {result.test_item_id for result in report.results}
    missing = [item.name for item in items_for(report.sample) if item.id not in done]
    if missing:
        raise DomainError(_("还有项目没有结果：%(items)s", items="、".join(missing)))
    passed, failed_text = sample_verdict(
        [(r.test_item.name, _stored_verdict(r)) for r in report.results]
    )
    report.passed, report.failed_text = passed, failed_text
    report.status = ReportStatus.REPORTED
    report.reported_at = now
    report.analyst_id = analyst.id
    record_custody_event(report.sample, "reported", analyst, now)
    return report


def _stored_verdict(result: Result) -> ItemVerdict:
    return ItemVerdict(result.passed, result.result_text, result.limit_text)


def _require_reviewer(report: TestReport, reviewer: User) -> None:
    if report.status != ReportStatus.REPORTED:
        raise NotAllowed(_("只有已提交的检验结果可以审核。"))
    authors = {report.analyst_id} | {result.entered_by_id for result in report.results}
    if reviewer.id in authors:
        raise NotAllowed(_("审核人不能是录入结果的检验员本人。"))
    if reviewer.role not in (Role.LAB_REVIEWER, Role.ADMIN):
        raise NotAllowed(_("您的角色不能执行此操作。"))


def return_report(report: TestReport, reviewer: User, reason: str, now: datetime) -> TestReport:
    _require_reviewer(report, reviewer)
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("退回必须写明原因。"))
    report.status = ReportStatus.RETURNED
    report.return_reason = reason
    record_custody_event(report.sample, "returned", reviewer, now, note=reason)
    return report


def verify_report(report: TestReport, reviewer: User, now: datetime) -> TestReport:
    """A second person verifies the results (four eyes); a failure opens its follow-up."""
    _require_reviewer(report, reviewer)
    report.status = ReportStatus.VERIFIED
    report.reviewer_id = reviewer.id
    report.verified_at = now
    record_custody_event(report.sample, "verified", reviewer, now)
    follow_up = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.sample_id == report.sample_id)
    ).first()
    today = to_shanghai(now).date()
    if not report.passed and follow_up is None:
        open_follow_up(report, today)
    elif report.passed and follow_up is not None and follow_up.status != FollowUpStatus.CLOSED:
        # A corrected result that now passes: nothing is left to follow up.
        follow_up.measures = _("更正后检验结果合格，核查处置终止。")
        follow_up.closed_on = today
        follow_up.status = FollowUpStatus.CLOSED
    return report


def correct_report(report: TestReport, user: User, reason: str, now: datetime) -> TestReport:
    """A verified report is never edited: correcting it invalidates it and opens a linked
    re-test report, which goes through entry and review again."""
    if report.status != ReportStatus.VERIFIED:
        raise NotAllowed(_("只有已审核的检验结果需要通过更正来修改。"))
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("更正必须写明原因。"))
    record_custody_event(report.sample, "corrected", user, now, note=reason)
    report.status = ReportStatus.INVALIDATED
    report.sample.report_due_on = (
        working_calendar().add_working_days(to_shanghai(now).date(), REPORT_DAYS).due
    )
    retest = TestReport(
        sample_id=report.sample_id,
        lab_id=report.lab_id,
        supersedes_id=report.id,
        correction_reason=reason,
    )
    db.session.add(retest)
    db.session.flush()
    return retest


# --- CSV import ---------------------------------------------------------------------------------


class ImportRejected(DomainError):
    """The file had errors: nothing was imported. `errors` lists them row by row."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("文件有 %(num)d 处错误，没有导入任何结果。", num=len(errors)))
        self.errors = errors


def _sample_for(row: ResultRow) -> Sample | None:
    if row.ref_kind == "label_code":
        try:
            return find_portion(row.sample_ref).sample
        except (DomainError, NotFound):
            return None
    return db.session.scalars(
        sa.select(Sample).where(Sample.official_number == row.sample_ref.strip().upper())
    ).first()


def import_results(data: bytes, analyst: User, now: datetime) -> int:
    """Import a lab's CSV all or nothing: every row is checked before anything is written.
    Raises ImportRejected with the row-by-row report; returns the number of results."""
    parsed = parse_results(data)
    errors = list(parsed.errors)
    plan: list[tuple[Sample, ResultRow]] = []
    for row in parsed.rows:
        sample = _sample_for(row)
        where = _("第 %(line)d 行：", line=row.line)
        if sample is None:
            errors.append(
                RowError(row.line, where + _("没有编号为 %(ref)s 的样品", ref=row.sample_ref))
            )
            continue
        if sample.status not in (SampleStatus.RECEIVED, SampleStatus.TESTING):
            errors.append(
                RowError(
                    row.line, where + _("样品 %(ref)s 尚未接收或已提交结果", ref=row.sample_ref)
                )
            )
            continue
        item = next((i for i in items_for(sample) if i.name == row.item), None)
        if item is None:
            errors.append(RowError(row.line, where + _("样品不检测“%(item)s”", item=row.item)))
            continue
        try:
            check_amount(row.value)
            check_amount(row.lod)
        except DomainError as error:
            errors.append(RowError(row.line, where + error.message))
            continue
        measurement = Measurement(
            value=row.value,
            unit=row.unit,
            not_detected=row.not_detected,
            lod=row.lod,
            lod_unit=row.lod_unit,
        )
        try:
            verdict_for(item.name, _limit(item), measurement)
        except UnitError:
            errors.append(
                RowError(
                    row.line,
                    where
                    + _(
                        "单位 %(unit)s 无法与标准值单位 %(limit)s 换算",
                        unit=row.unit,
                        limit=item.unit,
                    ),
                )
            )
            continue
        plan.append((sample, row))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line or 0))
    for sample, row in plan:
        report = current_report(sample) if sample.status == SampleStatus.TESTING else None
        if report is None:
            report = start_testing(sample, analyst, now)
        enter_result(
            report,
            ResultEntry(
                row.item,
                row.value,
                row.not_detected,
                row.unit,
                row.lod,
                row.lod_unit,
                row.method,
                row.standard,
            ),
            analyst,
        )
    return len(plan)


# --- Follow-ups ---------------------------------------------------------------------------------


def _add_working_days(start: date, days: int) -> tuple[date, bool]:
    deadline = working_calendar().add_working_days(start, days)
    return deadline.due, bool(deadline.unofficial_years)


def open_follow_up(report: TestReport, verified_on: date) -> FollowUp:
    config = current_app.config
    notify_due, unofficial = _add_working_days(verified_on, config["FOLLOWUP_NOTIFY_DAYS"])
    microbial = any(
        not r.passed and r.test_item.group_key == MICROBIOLOGICAL for r in report.results
    )
    follow_up = FollowUp(
        sample_id=report.sample_id,
        opened_on=verified_on,
        notify_due_on=notify_due,
        retest_allowed=not microbial,
        close_due_on=verified_on + timedelta(days=config["FOLLOWUP_CLOSE_DAYS"]),
        deadline_unofficial=unofficial,
    )
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def get_follow_up(follow_up_id: int) -> FollowUp:
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(_("未找到该核查处置。"))
    return follow_up


def _step(
    follow_up: FollowUp,
    expected: tuple[FollowUpStatus, ...],
    on: date | None = None,
    earliest: date | None = None,
    today: date | None = None,
) -> None:
    if follow_up.status not in expected:
        raise NotAllowed(_("核查处置当前的步骤不允许这一操作。"))
    if on is not None:
        today = today or to_shanghai(utcnow()).date()
        if on > today:
            raise DomainError(_("日期不能晚于今天。"))
        if earliest is not None and on < earliest:
            raise DomainError(_("日期不能早于上一步（%(date)s）。", date=earliest.isoformat()))


def record_notification(follow_up: FollowUp, on: date, today: date | None = None) -> FollowUp:
    """The business received the report and the 抽样检验结果通知书; the re-test window opens."""
    _step(follow_up, (FollowUpStatus.OPENED,), on, follow_up.opened_on, today)
    follow_up.notified_on = on
    if follow_up.retest_allowed:
        follow_up.retest_window_ends_on, unofficial = _add_working_days(on, 7)
        follow_up.deadline_unofficial = follow_up.deadline_unofficial or unofficial
    follow_up.status = FollowUpStatus.BUSINESS_NOTIFIED
    db.session.flush()
    return follow_up


def request_retest(
    follow_up: FollowUp, on: date, user: User, now: datetime, today: date | None = None
) -> FollowUp:
    """Accept the business's re-test application and draw the re-test lab at random from the
    re-test list, never the first lab. No re-test for microbiological failures, late
    applications or an expired backup."""
    _step(follow_up, (FollowUpStatus.BUSINESS_NOTIFIED,), on, follow_up.notified_on, today)
    if not follow_up.retest_allowed:
        raise DomainError(_("微生物项目不合格，不予复检。"))
    if on > follow_up.retest_window_ends_on:
        raise DomainError(_("复检申请已超过 7 个工作日的期限。"))
    sample = follow_up.sample
    expiry = backup_expiry(sample)
    if expiry is not None and expiry < on:
        raise DomainError(_("备份样品已过保质期，不予复检。"))
    backup = sample.portion(PortionKind.BACKUP)
    if db.session.scalars(
        sa.select(BackupDisposal.id).where(BackupDisposal.portion_id == backup.id)
    ).first():
        raise DomainError(_("备份样品已经处置，无法复检。"))
    first = current_report(sample)
    candidates = db.session.scalars(
        sa.select(Lab)
        .where(Lab.retest.is_(True), Lab.active.is_(True), Lab.id != first.lab_id)
        .order_by(Lab.id)
    ).all()
    if not candidates:
        raise DomainError(_("复检机构名录中没有可用的其他检验机构。"))
    follow_up.retest_lab_id = secrets.SystemRandom().choice(candidates).id
    follow_up.retest_requested_on = on
    follow_up.status = FollowUpStatus.RETEST_REQUESTED
    db.session.add(
        BackupDisposal(
            portion_id=backup.id,
            fate=BackupFate.RELEASED_FOR_RETEST,
            on=on,
            recipient=follow_up.retest_lab.name if follow_up.retest_lab else "",
            recorded_by_id=user.id,
        )
    )
    record_custody_event(sample, "backup_released", user, now)
    db.session.flush()
    return follow_up


def record_retest_conclusion(follow_up: FollowUp, conclusion: str) -> FollowUp:
    _step(follow_up, (FollowUpStatus.RETEST_REQUESTED,))
    conclusion = " ".join((conclusion or "").split())
    if not conclusion:
        raise DomainError(_("请填写复检结论。"))
    follow_up.retest_conclusion = conclusion
    follow_up.status = FollowUpStatus.RETEST_DONE
    db.session.flush()
    return follow_up


def record_disposal(
    follow_up: FollowUp, measures: str, on: date, today: date | None = None
) -> FollowUp:
    """Stop sale, recall, penalty…: what was done about the failed product."""
    statuses = (FollowUpStatus.BUSINESS_NOTIFIED, FollowUpStatus.RETEST_DONE)
    _step(follow_up, statuses, on, follow_up.notified_on, today)
    measures = " ".join((measures or "").split())
    if not measures:
        raise DomainError(_("请填写处置措施。"))
    follow_up.measures = measures
    follow_up.disposed_on = on
    follow_up.status = FollowUpStatus.DISPOSED
    db.session.flush()
    return follow_up


def close_follow_up(follow_up: FollowUp, on: date, today: date | None = None) -> FollowUp:
    _step(follow_up, (FollowUpStatus.DISPOSED,), on, follow_up.disposed_on, today)
    follow_up.closed_on = on
    follow_up.status = FollowUpStatus.CLOSED
    db.session.flush()
    return follow_up


def open_follow_ups() -> list[FollowUp]:
    return list(
        db.session.scalars(
            sa.select(FollowUp)
            .where(FollowUp.status != FollowUpStatus.CLOSED)
            .order_by(FollowUp.notify_due_on)
        )
    )


# --- Backup portions ----------------------------------------------------------------------------

SHELF_LIFE = re.compile(r"^\s*(\d+)\s*(天|日|个月|月|年)\s*$")


def backup_expiry(sample: Sample) -> date | None:
    """The end of shelf life, when the form gives a production date and a plain shelf life
    (e.g. "180天", "12个月", "1年"); None when it cannot be known."""
    match = SHELF_LIFE.match(sample.shelf_life or "")
    if not match or sample.production_date is None:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    if unit in ("天", "日"):
        days = amount
    else:
        days = None
        months = amount * 12 if unit == "年" else amount
        if months <= 600:
            return _add_months(sample.production_date, months)
    if days is None or days > 20_000:  # a typo, not a shelf life: unknown
        return None
    return sample.production_date + timedelta(days=days)


def _add_months(start: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    return date(year, month + 1, min(start.day, monthrange(year, month + 1)[1]))


def retain_until(report: TestReport) -> date:
    """3 months after a pass, 6 after a failure, or the end of shelf life if sooner."""
    verified_on = to_shanghai(report.verified_at).date()
    until = _add_months(verified_on, 3 if report.passed else 6)
    expiry = backup_expiry(report.sample)
    return min(until, expiry) if expiry else until


def dispose_backup(
    sample: Sample,
    fate: BackupFate,
    on: date,
    user: User,
    now: datetime,
    *,
    recipient: str = "",
    quantity: str = "",
    receipt_signed_by: str = "",
) -> BackupDisposal:
    """Donate (passed, unexpired backups only, with a signed receipt) or destroy a backup
    portion once its retention has ended."""
    if on > to_shanghai(now).date():
        raise DomainError(_("处置日期不能晚于今天。"))
    report = current_report(sample)
    if report is None or report.status != ReportStatus.VERIFIED:
        raise NotAllowed(_("检验结果审核后才能处置备份样品。"))
    backup = sample.portion(PortionKind.BACKUP)
    if db.session.scalars(
        sa.select(BackupDisposal.id).where(BackupDisposal.portion_id == backup.id)
    ).first():
        raise NotAllowed(_("该备份样品已经处置。"))
    if on < retain_until(report):
        raise NotAllowed(_("备份样品须保留至 %(date)s。", date=retain_until(report).isoformat()))
    if fate == BackupFate.DONATED:
        expiry = backup_expiry(sample)
        if not report.passed:
            raise NotAllowed(_("只有检验合格的备份样品可以捐赠。"))
        if expiry is None:
            raise NotAllowed(_("无法确认保质期的备份样品不能捐赠，只能销毁。"))
        if expiry < on:
            raise NotAllowed(_("已过保质期的备份样品不能捐赠，只能销毁。"))
        if not recipient.strip() or not receipt_signed_by.strip() or not quantity.strip():
            raise DomainError(_("捐赠须填写接收单位、数量和签收人。"))
    elif fate != BackupFate.DESTROYED:
        raise DomainError(_("请选择捐赠或销毁。"))
    disposal = BackupDisposal(
        portion_id=backup.id,
        fate=fate,
        on=on,
        recipient=recipient.strip(),
        quantity=quantity.strip(),
        receipt_signed_by=receipt_signed_by.strip(),
        recorded_by_id=user.id,
    )
    db.session.add(disposal)
    action = "backup_donated" if fate == BackupFate.DONATED else "backup_destroyed"
    note = f"{recipient.strip()} {quantity.strip()}".strip()
    record_custody_event(sample, action, user, now, note=note)
    return disposal


def backups_due(today: date) -> list[tuple[Sample, date]]:
    """Verified samples whose backup may now be donated or destroyed."""
    due = []
    disposed = set(db.session.scalars(sa.select(BackupDisposal.portion_id)))
    for report in db.session.scalars(
        sa.select(TestReport).where(TestReport.status == ReportStatus.VERIFIED)
    ):
        backup = report.sample.portion(PortionKind.BACKUP)
        until = retain_until(report)
        if backup.id not in disposed and until <= today:
            due.append((report.sample, until))
    return due


# --- Queues and deadlines -----------------------------------------------------------------------


def lab_queue() -> dict[str, list[Sample]]:
    samples = db.session.scalars(
        sa.select(Sample)
        .where(
            Sample.status.in_([SampleStatus.RECEIVED, SampleStatus.TESTING, SampleStatus.REPORTED])
        )
        .order_by(Sample.report_due_on)
    ).all()
    return {
        "received": [s for s in samples if s.status == SampleStatus.RECEIVED],
        "testing": [s for s in samples if s.status == SampleStatus.TESTING],
        "reported": [s for s in samples if s.status == SampleStatus.REPORTED],
    }


def watch_deadlines(now: datetime) -> int:
    """Alerts for reports past 20 working days and follow-up steps past their deadlines."""
    today = to_shanghai(now).date()
    late_reports = db.session.scalars(
        sa.select(Sample).where(
            Sample.status.in_([SampleStatus.RECEIVED, SampleStatus.TESTING, SampleStatus.REPORTED]),
            Sample.report_due_on < today,
        )
    ).all()
    sync_alerts(
        "report_overdue",
        {
            f"sample:{s.id}": _(
                "样品 %(number)s 的检验报告应于 %(due)s 前完成。",
                number=s.official_number,
                due=s.report_due_on.isoformat(),
            )
            for s in late_reports
        },
        now,
    )
    steps = {}
    for follow_up in open_follow_ups():
        number = follow_up.sample.official_number
        if follow_up.status == FollowUpStatus.OPENED and follow_up.notify_due_on < today:
            steps[f"follow_up:{follow_up.id}:notify"] = _(
                "样品 %(number)s 不合格，应于 %(due)s 前通知被抽样单位。",
                number=number,
                due=follow_up.notify_due_on.isoformat(),
            )
        if follow_up.close_due_on < today:
            steps[f"follow_up:{follow_up.id}:close"] = _(
                "样品 %(number)s 的核查处置应于 %(due)s 前办结。",
                number=number,
                due=follow_up.close_due_on.isoformat(),
            )
    sync_alerts("follow_up_overdue", steps, now)
    due = backups_due(today)
    sync_alerts(
        "backup_due",
        {
            f"sample:{sample.id}": _(
                "样品 %(number)s 的备份样品保留期已于 %(date)s 届满，请捐赠或销毁。",
                number=sample.official_number,
                date=until.isoformat(),
            )
            for sample, until in due
        },
        now,
    )
    return len(late_reports) + len(steps) + len(due)
