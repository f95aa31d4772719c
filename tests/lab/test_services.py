"""Results, the four-eyes review, corrections, follow-ups with their deadlines, backups."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import UTC, utcnow
from app.errors import DomainError, NotAllowed
from app.extensions import db
from app.lab import services as lab
from app.lab.models import (
    BackupDisposal,
    BackupFate,
    FollowUp,
    FollowUpStatus,
    ReportStatus,
    TestReport,
)
from app.sampling.models import SampleStatus
from app.sampling.services import receive
from app.scheduling.services import open_alerts
from tests.factories import make_lab, make_sample, make_tested_sample, make_user


def test_items_are_the_foods_defaults_plus_the_requested_groups(ctx):
    sample = make_sample()
    names = [item.name for item in lab.items_for(sample)]
    assert names[:2] == ["腐霉利", "甲拌磷"] and "克百威" in names
    assert len(names) == len(set(names))


def test_a_pass_and_a_failure_with_the_notice_text(ctx):
    passed, report, *_ = make_tested_sample()
    assert report.status == ReportStatus.VERIFIED and report.passed and report.failed_text == ""
    assert passed.status == SampleStatus.VERIFIED
    failed, report, *_ = make_tested_sample(fail="腐霉利")
    assert not report.passed
    assert report.failed_text == "腐霉利║1mg/kg║≤0.2mg/kg"
    assert db.session.scalars(sa.select(FollowUp)).one().sample_id == failed.id


def test_entry_needs_a_value_a_known_item_and_convertible_units(ctx):
    make_lab("一检")
    analyst = make_user(Role.LAB_ANALYST)
    sample = make_sample()
    receive(sample.portions[0], analyst, utcnow())
    report = lab.start_testing(sample, analyst, utcnow())
    with pytest.raises(DomainError, match="不检测"):
        lab.enter_result(report, lab.ResultEntry("苏丹红", Decimal("1"), False, "mg/kg"), analyst)
    with pytest.raises(DomainError, match="检验结果或勾选未检出"):
        lab.enter_result(report, lab.ResultEntry("腐霉利", None, False, "mg/kg"), analyst)
    with pytest.raises(DomainError, match="无法与标准值单位 mg/kg 换算"):
        lab.enter_result(report, lab.ResultEntry("腐霉利", Decimal("1"), False, "mg/L"), analyst)
    result = lab.enter_result(
        report, lab.ResultEntry("腐霉利", Decimal("200"), False, "µg/kg"), analyst
    )
    assert result.passed and result.result_text == "200µg/kg"  # on the limit of 0.2 mg/kg
    with pytest.raises(DomainError, match="还有项目没有结果"):
        lab.submit_report(report, analyst, utcnow())


def test_results_before_receipt_are_refused(ctx):
    make_lab("一检")
    sample = make_sample()
    with pytest.raises(NotAllowed, match="尚未被检验机构接收"):
        lab.start_testing(sample, make_user(Role.LAB_ANALYST), utcnow())


def test_the_analyst_cannot_verify_their_own_results(ctx):
    sample, report, analyst, reviewer = make_tested_sample(verify=False)
    with pytest.raises(NotAllowed, match="不能是录入结果的检验员本人"):
        lab.verify_report(report, analyst, utcnow())
    admin_analyst = make_user(Role.ADMIN)
    report.analyst_id = admin_analyst.id
    with pytest.raises(NotAllowed, match="不能是录入结果的检验员本人"):
        lab.verify_report(report, admin_analyst, utcnow())
    with pytest.raises(NotAllowed, match="角色不能"):
        lab.verify_report(report, make_user(Role.PUBLISHER), utcnow())


def test_returned_results_go_back_to_the_analyst(ctx):
    sample, report, analyst, reviewer = make_tested_sample(verify=False)
    with pytest.raises(DomainError, match="退回必须写明原因"):
        lab.return_report(report, reviewer, " ", utcnow())
    lab.return_report(report, reviewer, "腐霉利的检验依据未填写", utcnow())
    assert report.status == ReportStatus.RETURNED and sample.status == SampleStatus.TESTING
    item = lab.items_for(sample)[0]
    lab.enter_result(
        report,
        lab.ResultEntry(item.name, Decimal("0.01"), False, "mg/kg", method="GB 23200.8"),
        analyst,
    )
    lab.submit_report(report, analyst, utcnow())
    lab.verify_report(report, reviewer, utcnow())
    assert report.status == ReportStatus.VERIFIED


def test_verified_results_are_read_only_and_a_correction_opens_a_retest(ctx):
    sample, report, analyst, reviewer = make_tested_sample()
    item = lab.items_for(sample)[0]
    with pytest.raises(NotAllowed, match="不能修改"):
        lab.enter_result(report, lab.ResultEntry(item.name, Decimal("5"), False, "mg/kg"), analyst)
    with pytest.raises(DomainError, match="更正必须写明原因"):
        lab.correct_report(report, reviewer, "", utcnow())
    retest = lab.correct_report(report, reviewer, "仪器校准错误", utcnow())
    assert report.status == ReportStatus.INVALIDATED and retest.supersedes_id == report.id
    assert lab.current_report(sample) == retest and sample.status == SampleStatus.TESTING
    assert [e.action for e in sample.events][-1] == "corrected"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestReport)) == 2


def test_follow_up_deadlines_cross_national_day_and_a_make_up_saturday(ctx, app):
    failed, report, *_ = make_tested_sample(fail="腐霉利")
    db.session.delete(db.session.scalars(sa.select(FollowUp)).one())
    db.session.flush()
    # Opened on 30 Sep 2026: 5 working days later is 13 Oct (Oct 1-7 off, Sat 10 Oct on).
    follow_up = lab.open_follow_up(report, date(2026, 9, 30))
    assert follow_up.notify_due_on == date(2026, 10, 13)
    assert follow_up.close_due_on == date(2026, 9, 30) + timedelta(days=90)
    db.session.delete(follow_up)
    db.session.flush()
    # Notified on Fri 6 Feb 2026: 7 working days with Spring Festival (15-23 Feb) and the
    # make-up Saturday 14 Feb: 9, 10, 11, 12, 13, 14 (Sat), 24.
    follow_up = lab.open_follow_up(report, date(2026, 2, 5))
    lab.record_notification(follow_up, date(2026, 2, 6), today=date(2026, 3, 1))
    assert follow_up.retest_window_ends_on == date(2026, 2, 24)


def test_follow_up_dates_are_not_in_the_future_or_before_the_last_step(ctx):
    failed, report, *_ = make_tested_sample(fail="腐霉利")
    follow_up = db.session.scalars(sa.select(FollowUp)).one()
    opened = follow_up.opened_on
    with pytest.raises(DomainError, match="不能晚于今天"):
        lab.record_notification(follow_up, opened + timedelta(days=3), today=opened)
    with pytest.raises(DomainError, match="不能早于上一步"):
        lab.record_notification(follow_up, opened - timedelta(days=1), today=opened)


def test_retest_lab_is_drawn_from_the_list_never_the_first_lab(ctx):
    failed, report, *_ = make_tested_sample(fail="腐霉利")
    retest_labs = {make_lab(retest=True).id for _ in range(3)}
    planner = make_user(Role.PLANNER)
    follow_up = db.session.scalars(sa.select(FollowUp)).one()
    day = follow_up.opened_on
    later = day + timedelta(days=60)
    with pytest.raises(NotAllowed):
        lab.request_retest(follow_up, day, planner, utcnow(), today=later)  # not notified yet
    lab.record_notification(follow_up, day, today=later)
    with pytest.raises(DomainError, match="超过 7 个工作日"):
        lab.request_retest(follow_up, day + timedelta(days=30), planner, utcnow(), today=later)
    lab.request_retest(follow_up, day + timedelta(days=1), planner, utcnow(), today=later)
    assert follow_up.retest_lab_id in retest_labs and follow_up.retest_lab_id != report.lab_id
    backup = db.session.scalars(sa.select(BackupDisposal)).one()
    assert backup.fate == BackupFate.RELEASED_FOR_RETEST
    lab.record_retest_conclusion(follow_up, "复检结论：不合格，维持原结论")
    lab.record_disposal(
        follow_up, "责令停止销售，召回 12 kg，立案处罚", day + timedelta(days=5), today=later
    )
    lab.close_follow_up(follow_up, day + timedelta(days=10), today=later)
    assert follow_up.status == FollowUpStatus.CLOSED


def test_no_retest_for_a_microbiological_failure(ctx, monkeypatch):
    failed, report, *_ = make_tested_sample(fail="腐霉利", verify=False)
    for result in report.results:
        if not result.passed:
            monkeypatch.setattr(result.test_item, "group_key", "microbe")
    lab.verify_report(report, make_user(Role.LAB_REVIEWER), utcnow())
    follow_up = db.session.scalars(sa.select(FollowUp)).one()
    assert not follow_up.retest_allowed
    day = follow_up.opened_on
    lab.record_notification(follow_up, day, today=day)
    assert follow_up.retest_window_ends_on is None
    with pytest.raises(DomainError, match="微生物"):
        lab.request_retest(follow_up, day, make_user(Role.PLANNER), utcnow(), today=day)


def test_a_correction_to_a_pass_ends_the_follow_up(ctx):
    failed, report, analyst, reviewer = make_tested_sample(fail="腐霉利")
    follow_up = db.session.scalars(sa.select(FollowUp)).one()
    retest = lab.correct_report(report, reviewer, "标准品配制错误", utcnow())
    for item in lab.items_for(failed):
        lab.enter_result(
            retest, lab.ResultEntry(item.name, Decimal("0"), False, item.unit), analyst
        )
    lab.submit_report(retest, analyst, utcnow())
    lab.verify_report(retest, reviewer, utcnow())
    assert retest.passed and follow_up.status == FollowUpStatus.CLOSED


def test_nobody_who_entered_a_result_may_verify(ctx):
    sample, report, analyst, reviewer = make_tested_sample(verify=False)
    lab.return_report(report, reviewer, "请复核第一项", utcnow())
    admin = make_user(Role.ADMIN)
    item = lab.items_for(sample)[0]
    lab.enter_result(report, lab.ResultEntry(item.name, Decimal("0"), False, item.unit), admin)
    lab.submit_report(report, analyst, utcnow())
    with pytest.raises(NotAllowed, match="不能是录入结果的检验员本人"):
        lab.verify_report(report, admin, utcnow())


def test_out_of_range_numbers_are_refused(ctx):
    make_lab("一检")
    analyst = make_user(Role.LAB_ANALYST)
    sample = make_sample()
    receive(sample.portions[0], analyst, utcnow())
    report = lab.start_testing(sample, analyst, utcnow())
    for value in ("1e13", "0.0000001", "1E+999"):
        with pytest.raises(DomainError, match="数值超出范围"):
            lab.enter_result(
                report, lab.ResultEntry("腐霉利", Decimal(value), False, "mg/kg"), analyst
            )


def test_backups_are_kept_then_donated_or_destroyed(ctx):
    passed, report, analyst, _ = make_tested_sample()
    report.verified_at = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    assert lab.retain_until(report) == date(2026, 9, 1)
    with pytest.raises(NotAllowed, match="须保留至 2026-09-01"):
        lab.dispose_backup(passed, BackupFate.DESTROYED, date(2026, 8, 1), analyst, utcnow())
    with pytest.raises(DomainError, match="不能晚于今天"):
        lab.dispose_backup(passed, BackupFate.DESTROYED, date(2099, 1, 1), analyst, utcnow())
    with pytest.raises(NotAllowed, match="无法确认保质期"):
        lab.dispose_backup(
            passed,
            BackupFate.DONATED,
            date(2026, 9, 2),
            analyst,
            utcnow(),
            recipient="x",
            quantity="1",
            receipt_signed_by="y",
        )
    passed.production_date, passed.shelf_life = date(2026, 5, 1), "12个月"
    with pytest.raises(DomainError, match="接收单位、数量和签收人"):
        lab.dispose_backup(passed, BackupFate.DONATED, date(2026, 9, 2), analyst, utcnow())
    lab.dispose_backup(
        passed,
        BackupFate.DONATED,
        date(2026, 9, 2),
        analyst,
        utcnow(),
        recipient="新乡市社会福利院",
        quantity="2 kg",
        receipt_signed_by="李院长",
    )
    assert [e.action for e in passed.events][-1] == "backup_donated"
    with pytest.raises(NotAllowed, match="已经处置"):
        lab.dispose_backup(passed, BackupFate.DESTROYED, date(2026, 9, 3), analyst, utcnow())
    failed, failed_report, analyst2, _ = make_tested_sample(fail="腐霉利")
    failed_report.verified_at = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
    assert lab.retain_until(failed_report) == date(2026, 7, 10)  # six months after a failure
    with pytest.raises(NotAllowed, match="只有检验合格"):
        lab.dispose_backup(
            failed,
            BackupFate.DONATED,
            date(2026, 8, 1),
            analyst2,
            utcnow(),
            recipient="x",
            quantity="1",
            receipt_signed_by="y",
        )
    lab.dispose_backup(failed, BackupFate.DESTROYED, date(2026, 8, 1), analyst2, utcnow())


def test_shelf_life_ends_retention_early_and_forbids_donation(ctx):
    sample, report, analyst, _ = make_tested_sample()
    sample.production_date = date(2026, 5, 1)
    sample.shelf_life = "60天"
    report.verified_at = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    assert lab.backup_expiry(sample) == date(2026, 6, 30)
    assert lab.retain_until(report) == date(2026, 6, 30)
    with pytest.raises(NotAllowed, match="已过保质期"):
        lab.dispose_backup(
            sample,
            BackupFate.DONATED,
            date(2026, 7, 1),
            analyst,
            utcnow(),
            recipient="x",
            quantity="1",
            receipt_signed_by="y",
        )


def test_deadline_watch_reports_late_reports_and_follow_up_steps(ctx, now):
    failed, report, *_ = make_tested_sample(fail="腐霉利")
    late = make_sample()
    receive(late.portions[0], make_user(Role.LAB_ANALYST), now)
    late.report_due_on = date(2026, 1, 5)
    far = now + timedelta(days=200)
    assert lab.watch_deadlines(far) >= 3  # the report, the notification, the closure
    subjects = {(alert.kind, alert.subject) for alert in open_alerts()}
    follow_up = db.session.scalars(sa.select(FollowUp)).one()
    assert ("report_overdue", f"sample:{late.id}") in subjects
    assert ("follow_up_overdue", f"follow_up:{follow_up.id}:notify") in subjects
    assert ("follow_up_overdue", f"follow_up:{follow_up.id}:close") in subjects
