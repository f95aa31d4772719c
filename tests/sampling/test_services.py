"""The sampling form, the state machine with its custody chain, lab intake and deadlines."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.reference.models import CalendarOverride
from app.reference.services import working_calendar
from app.sampling import services as sampling
from app.sampling.models import (
    CustodyEvent,
    PortionKind,
    Sample,
    SamplePhoto,
    SampleStatus,
)
from app.scheduling import jobs
from app.scheduling.models import TaskStatus
from app.scheduling.services import open_alerts
from tests.conftest import count_rows
from tests.factories import (
    make_released_task,
    make_sample,
    make_user,
    sampling_record,
)


def test_recording_a_sample_makes_two_labelled_portions_and_the_first_event(ctx, now, app):
    task, inspectors = make_released_task()
    sample = sampling.record_sample(task, sampling_record(), inspectors[0], now)
    assert sample.status == SampleStatus.SAMPLED and task.status == TaskStatus.SAMPLED
    kinds = {portion.kind for portion in sample.portions}
    assert kinds == {PortionKind.TEST, PortionKind.BACKUP}
    assert all(len(portion.code) == 10 for portion in sample.portions)
    assert [event.action for event in sample.events] == ["sampled"]
    assert sample.custody_count == 1 and sample.custody_head == sample.events[0].hash
    assert (sample.sampler_a_id, sample.sampler_b_id) == (task.inspector_a_id, task.inspector_b_id)
    photo = db.session.scalars(sa.select(SamplePhoto)).one()
    stored = sampling.photo_dir() / photo.stored_name
    assert stored.read_bytes().startswith(b"\x89PNG") and photo.content_type == "image/png"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"official_number": "AB123"}, "抽样单编号格式"),
        ({"official_number": "DC19410700000001"}, "年份与抽样日期不符"),
        ({"purchase_date": None}, "生产日期、批号或购进日期"),
        ({"production_date": date(2099, 1, 1)}, "不能晚于抽样日期"),
        ({"producer_licence": "SC123"}, "SC 加 14 位数字"),
        ({"business_signer": ""}, "拒绝签字"),
        ({"photos": [sampling.PhotoUpload(b"GIF89a...")]}, "JPEG 或 PNG"),
        ({"photos": [sampling.PhotoUpload(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024))]}, "5 MB"),
    ],
)
def test_bad_forms_get_a_message_and_store_nothing(ctx, now, overrides, message):
    task, inspectors = make_released_task()
    with pytest.raises(DomainError, match=message):
        sampling.record_sample(task, sampling_record(**overrides), inspectors[0], now)
    db.session.rollback()
    assert count_rows(Sample) == 0 and count_rows(CustodyEvent) == 0


def test_only_the_tasks_team_samples_and_only_once(ctx, now):
    task, inspectors = make_released_task()
    stranger = make_user(Role.INSPECTOR)
    with pytest.raises(NotAllowed, match="不是您的任务"):
        sampling.record_sample(task, sampling_record(), stranger, now)
    sampling.record_sample(task, sampling_record(), inspectors[1], now)
    with pytest.raises(NotAllowed, match="已经抽过样"):
        sampling.record_sample(task, sampling_record(), inspectors[0], now)


def test_a_used_official_number_is_refused(ctx, now):
    first = make_sample()
    task, inspectors = make_released_task()
    record = sampling_record(official_number=first.official_number)
    with pytest.raises(DomainError, match="已被使用"):
        sampling.record_sample(task, record, inspectors[0], now)


def test_not_sampled_needs_a_known_reason(ctx):
    task, inspectors = make_released_task()
    with pytest.raises(DomainError, match="原因"):
        sampling.mark_not_sampled(task, "bored", "", inspectors[0])
    sampling.mark_not_sampled(task, "closed", "门上贴了停业通知", inspectors[0])
    assert task.status == TaskStatus.NOT_SAMPLED and "停业" in task.note


def test_the_lab_receives_once_and_rejections_need_a_reason(ctx, now):
    sample = make_sample()
    analyst = make_user(Role.LAB_ANALYST)
    portion = sample.portion(PortionKind.TEST)
    sampling.receive(portion, analyst, now)
    assert sample.status == SampleStatus.RECEIVED and sample.seals_intact
    with pytest.raises(NotAllowed, match="已经接收过"):
        sampling.receive(sample.portion(PortionKind.BACKUP), analyst, now)
    other = make_sample()
    with pytest.raises(DomainError, match="写明原因"):
        sampling.reject(other.portions[0], analyst, "  ", now)
    sampling.reject(other.portions[0], analyst, "封条破损", now)
    assert other.status == SampleStatus.REJECTED and other.rejection_reason == "封条破损"
    with pytest.raises(NotAllowed, match="已被拒收"):
        sampling.receive(other.portions[0], analyst, now)


def test_impossible_steps_and_wrong_roles_are_refused(ctx, now):
    sample = make_sample()
    inspector = db.session.get(type(sample.sampler_a), sample.sampler_a_id)
    with pytest.raises(NotAllowed, match="角色不能"):
        sampling.receive(sample.portions[0], inspector, now)
    analyst = make_user(Role.LAB_ANALYST)
    with pytest.raises(NotAllowed, match="尚未被检验机构接收"):
        sampling.record_custody_event(sample, "testing", analyst, now)
    publisher = make_user(Role.PUBLISHER)
    sampling.receive(sample.portions[0], analyst, now)
    with pytest.raises(NotAllowed, match="角色不能"):
        sampling.record_custody_event(sample, "testing", publisher, now)
    sampling.record_custody_event(sample, "testing", analyst, now)
    assert [e.action for e in sample.events] == ["sampled", "received", "testing"]


def test_hand_over_records_who_took_the_sample(ctx, now):
    sample = make_sample()
    inspector = sample.sampler_a
    with pytest.raises(DomainError, match="交给了谁"):
        sampling.hand_over(sample.portions[0], inspector, "", now)
    location = sampling.Location(35.3, 113.9)
    sampling.hand_over(sample.portions[0], inspector, "顺丰冷链 张师傅", now, location)
    event = sample.events[-1]
    assert (event.action, event.note, event.latitude) == ("handed_over", "顺丰冷链 张师傅", 35.3)
    assert sample.status == SampleStatus.SAMPLED


def test_finding_a_portion_by_its_code(ctx):
    sample = make_sample()
    code = sample.portions[0].code
    assert sampling.find_portion(f" {code[:5].lower()}-{code[5:]}").id == sample.portions[0].id
    typo = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]
    with pytest.raises(DomainError, match="编号有误"):
        sampling.find_portion(typo)
    with pytest.raises(DomainError, match="编号有误"):
        sampling.find_portion("<script>")
    body = "000000000"
    with pytest.raises(NotFound):
        sampling.find_portion(body + sampling.codes.check_symbol(body))
    url = f"https://example.gov.cn/t/{code}?from=qr"
    assert sampling.code_from_url_or_text(url) == code


def test_lab_deadline_counts_working_days_across_national_day(ctx, now):
    sample = make_sample(
        sampled_on=date(2026, 9, 30),
        purchase_date=date(2026, 9, 30),
        official_number="DC26410700990001",
    )
    # Oct 1-7 off, Sat Oct 10 a make-up working day: 8, 9, 10, 12, 13.
    assert sample.lab_due_on == date(2026, 10, 13) and not sample.lab_due_unofficial


def test_lab_deadline_in_an_unknown_year_warns_and_overrides_count(ctx, now):
    db.session.add(CalendarOverride(day=date(2027, 1, 4), working=False, note="元旦调休"))
    db.session.flush()
    deadline = working_calendar().add_working_days(date(2026, 12, 31), 5)
    # Jan 1 2027 is a Friday counted as a working day until entered; Jan 4 is entered as off.
    assert deadline.due == date(2027, 1, 8)


def test_late_samples_raise_alerts_until_received(ctx, now):
    sample = make_sample()
    analyst = make_user(Role.LAB_ANALYST)
    later = now + timedelta(days=30)
    assert sampling.watch_deadlines(later) == 1
    sampling.receive(sample.portions[0], analyst, later)
    assert sampling.watch_deadlines(later) == 0
    assert [a for a in open_alerts() if a.kind == "sample_late_to_lab"] == []
    assert to_shanghai(now).date() <= sample.lab_due_on


def test_the_deadline_watch_job_covers_samples_and_the_dashboard_lists_them(app, client, auth):
    with app.app_context():
        sample = make_sample()
        make_user(Role.PLANNER, username="boss")
        sample.lab_due_on = date(2026, 1, 5)  # long past
        db.session.commit()
        late = jobs.watch_deadlines(utcnow())
        assert late >= 1
        kinds = {alert.kind for alert in open_alerts()}
        assert "sample_late_to_lab" in kinds
        number = sample.official_number
    auth.login("boss")
    page = client.get("/staff/")
    assert "逾期未送达检验机构的样品" in page.text and number in page.text


def test_a_task_closed_by_the_partner_meanwhile_is_refused(ctx, now):
    task, inspectors = make_released_task()
    db.session.execute(
        sa.update(type(task)).where(type(task).id == task.id).values(status=TaskStatus.NOT_SAMPLED)
    )
    with pytest.raises(NotAllowed):
        sampling.record_sample(task, sampling_record(), inspectors[0], now)
