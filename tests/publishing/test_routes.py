"""The public side: the tracking page shows published results, the archive, verification."""

import io
from datetime import date

import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.publishing.models import Notice
from app.publishing.services import NoticeDraft, publish_notice
from app.sampling.models import PortionKind
from tests.factories import make_tested_sample, make_user


def test_publisher_publishes_and_the_public_follows_a_label(app, client, auth):
    with app.app_context():
        sample, *_ = make_tested_sample(fail="腐霉利")
        make_user(Role.PUBLISHER, username="pub")
        code = sample.portion(PortionKind.TEST).code
        names = [sample.sampler_a.display_name, sample.business_signer]
        db.session.commit()
        sample_id = sample.id
    before = client.get(f"/t/{code}")
    assert "检验结果经审核并正式公告后在此公布" in before.text and "腐霉利" not in before.text
    auth.login("pub")
    page = client.get("/staff/notices/new")
    assert "可公告的样品（1 个）" in page.text
    form = {
        "sample": sample_id,
        "title": "食品安全监督抽检信息",
        "task_source": "你点我检",
        "published_on": "2026-11-27",
    }
    preview = client.post("/staff/notices/new", data={**form, "action": "preview"})
    assert preview.mimetype == "application/pdf"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
    published = client.post(
        "/staff/notices/new", data={**form, "action": "publish"}, follow_redirects=True
    )
    assert "已发布" in published.text and "2026年第1期" in published.text
    auth.logout()
    after = client.get(f"/t/{code}")
    assert "不合格" in after.text and "腐霉利" in after.text and "≤0.2mg/kg" in after.text
    assert 'class="failed-item"' in after.text
    for name in names:
        assert name not in after.text
    archive = client.get("/notices")
    assert "2026年第1期" in archive.text
    with app.app_context():
        notice = db.session.scalars(sa.select(Notice)).one()
        pdf, digest, notice_id = notice.pdf, notice.sha256, notice.id
    assert client.get(f"/notices/{notice_id}.pdf").data == pdf
    good = client.post(
        "/notices/verify",
        data={"pdf": (io.BytesIO(pdf), "n.pdf")},
        content_type="multipart/form-data",
    )
    assert "这是本局发布的真实公告" in good.text
    bad = client.post(
        "/notices/verify",
        data={"pdf": (io.BytesIO(pdf[:-10]), "n.pdf")},
        content_type="multipart/form-data",
    )
    assert "未找到与此文件一致的公告" in bad.text
    assert "真实公告" in client.post("/notices/verify", data={"sha256": digest}).text
    wrong = client.post("/notices/verify", data={"sha256": "xyz"})
    assert wrong.status_code == 400 and "64 位十六进制" in wrong.text


def test_no_public_page_shows_private_details(app, client):
    with app.app_context():
        sample, *_ = make_tested_sample(fail="腐霉利")
        sample.stall_no, sample.producer_licence = "东区A-17", "SC10641070000123"
        publish_notice(
            [sample],
            NoticeDraft("抽检信息", "你点我检", date(2026, 11, 27)),
            make_user(Role.PUBLISHER, username="publisher-x"),
            utcnow(),
        )
        private = [
            sample.sampler_a.display_name,
            sample.sampler_b.display_name,
            sample.sampler_a.username,
            sample.business_signer,
            "东区A-17",
            "SC10641070000123",
            "publisher-x",
            sample.portion(PortionKind.BACKUP).code,
        ] + [photo.stored_name for photo in sample.photos]
        notice_id = db.session.scalars(sa.select(Notice.id)).one()
        code = sample.portion(PortionKind.TEST).code
        db.session.commit()
    pages = [
        "/",
        "/results",
        "/results?verdict=fail",
        "/stats",
        "/notices",
        f"/notices/{notice_id}",
        f"/t/{code}",
        "/rounds",
    ]
    leaks = [(url, value) for url in pages for value in private if value in client.get(url).text]
    assert leaks == []
