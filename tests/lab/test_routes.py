"""The lab over HTTP: entry, review by a second person, import report, follow-up, backups."""

import io
from datetime import UTC, datetime

import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.extensions import db
from app.lab import services as lab
from app.lab.models import BackupDisposal, FollowUp, FollowUpStatus, ReportStatus, TestReport
from app.sampling.services import receive
from tests.factories import make_lab, make_sample, make_tested_sample, make_user


def test_entry_then_review_by_someone_else(app, client, auth):
    with app.app_context():
        make_lab("一检")
        make_user(Role.LAB_ANALYST, username="analyst")
        make_user(Role.LAB_REVIEWER, username="reviewer")
        sample = make_sample()
        receive(sample.portions[0], make_user(Role.LAB_ANALYST), utcnow())
        items = [(i.id, i.name) for i in lab.items_for(sample)]
        db.session.commit()
        sample_id = sample.id
    auth.login("analyst")
    assert "检验项目" in client.get(f"/staff/lab/samples/{sample_id}").text
    data = {f"item-{item_id}-value": "0.5" if name == "腐霉利" else "0" for item_id, name in items}
    bad = client.post(
        f"/staff/lab/samples/{sample_id}/results",
        data={**data, f"item-{items[0][0]}-value": "abc", "submit": "report"},
        follow_redirects=True,
    )
    assert "无法识别的数值" in bad.text
    done = client.post(
        f"/staff/lab/samples/{sample_id}/results",
        data={**data, "submit": "report"},
        follow_redirects=True,
    )
    assert "已提交审核" in done.text and "腐霉利║0.5mg/kg║≤0.2mg/kg" in done.text
    own = client.post(f"/staff/lab/samples/{sample_id}/review", data={"decision": "verify"})
    assert own.status_code == 403  # analysts cannot review at all
    auth.logout()
    auth.login("reviewer")
    verified = client.post(
        f"/staff/lab/samples/{sample_id}/review",
        data={"decision": "verify"},
        follow_redirects=True,
    )
    assert "已审核通过" in verified.text
    with app.app_context():
        report = db.session.scalars(sa.select(TestReport)).one()
        assert report.status == ReportStatus.VERIFIED and not report.passed
        assert db.session.scalars(sa.select(FollowUp)).one().sample_id == sample_id


def test_import_page_shows_the_error_report(app, client, auth):
    with app.app_context():
        make_user(Role.LAB_ANALYST, username="analyst")
        db.session.commit()
    auth.login("analyst")
    csv = "抽样编号,检验项目,检验结果,结果单位\nDC26000000000000,腐霉利,1,mg/kg\n".encode("gbk")
    response = client.post(
        "/staff/lab/import",
        data={"file": (io.BytesIO(csv), "results.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "没有导入任何结果" in response.text and "第 2 行" in response.text


def test_follow_up_steps_and_backup_donation_over_http(app, client, auth):
    with app.app_context():
        make_user(Role.PLANNER, username="planner")
        failed, *_ = make_tested_sample(fail="腐霉利")
        passed, passed_report, analyst, _ = make_tested_sample()
        passed_report.verified_at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        passed.production_date = to_shanghai(utcnow()).date()
        passed.shelf_life = "12个月"
        analyst.username = "lab1"
        follow_up_id = db.session.scalars(sa.select(FollowUp.id)).one()
        passed_id, passed_number = passed.id, passed.official_number
        db.session.commit()
    auth.login("planner")
    page = client.get(f"/staff/lab/follow-ups/{follow_up_id}")
    assert "记录已通知被抽样单位" in page.text
    today = to_shanghai(utcnow()).date().isoformat()
    client.post(f"/staff/lab/follow-ups/{follow_up_id}/notified", data={"on": today})
    wrong = client.post(
        f"/staff/lab/follow-ups/{follow_up_id}/closed",
        data={"on": today},
        follow_redirects=True,
    )
    assert "不允许这一操作" in wrong.text
    with app.app_context():
        assert db.session.get(FollowUp, follow_up_id).status == FollowUpStatus.BUSINESS_NOTIFIED
    auth.logout()
    auth.login("lab1")
    queue = client.get("/staff/lab/")
    assert "保留期满的备份样品" in queue.text and passed_number in queue.text
    donated = client.post(
        f"/staff/lab/samples/{passed_id}/backup",
        data={
            "fate": "donated",
            "on": today,
            "recipient": "新乡市社会福利院",
            "quantity": "2 kg",
            "receipt_signed_by": "李院长",
        },
        follow_redirects=True,
    )
    assert "已记录备份样品的处置" in donated.text
    with app.app_context():
        assert db.session.scalars(sa.select(BackupDisposal.recipient)).one() == "新乡市社会福利院"
