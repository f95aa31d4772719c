"""Over HTTP: the sampling form with photos, labels, the public tracking page and the scanner."""

import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.extensions import db
from app.sampling import codes
from app.sampling.models import CustodyEvent, Sample, SampleStatus
from tests.factories import PNG_PIXEL, make_released_task, make_sample, make_user


@pytest.fixture
def task(app):
    with app.app_context():
        task, inspectors = make_released_task()
        db.session.commit()
        return {"id": task.id, "inspector": inspectors[0].username}


def form_data(**overrides):
    today = to_shanghai(utcnow()).date()
    data = {
        "official_number": f"DC{today.year % 100:02d}4107000042",
        "stage": "circulation",
        "sampled_on": today.isoformat(),
        "product_name": "韭菜",
        "batch_number": "20261120",
        "packaging": "bulk",
        "storage": "ambient",
        "quantity": "2",
        "backup_quantity": "2",
        "quantity_unit": "kg",
        "business_signer": "王摊主",
    }
    data.update(overrides)
    return data


def test_inspector_records_a_sample_with_a_photo_and_prints_labels(app, client, auth, task):
    auth.login(task["inspector"])
    tasks = client.get("/staff/tasks")
    assert f"/staff/tasks/{task['id']}/sample" in tasks.text
    data = form_data(photos=(io.BytesIO(PNG_PIXEL), "seal.png"))
    response = client.post(
        f"/staff/tasks/{task['id']}/sample", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "抽样单已保存" in page.text and "检验样品" in page.text and "备份样品" in page.text
    with app.app_context():
        sample = db.session.scalars(sa.select(Sample)).one()
        sample_id, photo_id = sample.id, sample.photos[0].id
    pdf = client.get(f"/staff/samples/labels.pdf?sample={sample_id}&layout=sticker")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    photo = client.get(f"/staff/samples/photos/{photo_id}")
    assert photo.data == PNG_PIXEL
    photo.close()


def test_a_bad_photo_or_form_gets_a_message_and_stores_nothing(app, client, auth, task):
    auth.login(task["inspector"])
    bad = client.post(
        f"/staff/tasks/{task['id']}/sample",
        data=form_data(photos=(io.BytesIO(b"MZ\x90\x00 not an image"), "virus.exe")),
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "JPEG 或 PNG" in bad.text
    wrong = client.post(f"/staff/tasks/{task['id']}/sample", data=form_data(quantity="0"))
    assert wrong.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Sample)) == 0


def test_the_public_page_shows_progress_without_personal_names(app, client):
    with app.app_context():
        sample = make_sample(business_signer="王摊主", stall_no="A-12")
        code = sample.portions[0].code
        names = [sample.sampler_a.display_name, sample.sampler_b.display_name, "王摊主"]
        db.session.commit()
    page = client.get(f"/t/{code}")
    assert page.status_code == 200
    assert codes.display(code) in page.text and "已抽样并封存" in page.text
    for name in names:
        assert name not in page.text
    assert "工作人员操作" not in page.text


def test_mistyped_and_unknown_codes(client):
    body = "000000000"
    right = codes.check_symbol(body)
    wrong = codes.ALPHABET[(codes.ALPHABET.index(right) + 1) % codes.MODULUS]
    typo = client.get(f"/t/{body}{wrong}")
    assert typo.status_code == 400 and "编号有误" in typo.text
    unknown = client.get(f"/t/{body}{right}")
    assert unknown.status_code == 404 and "没有这个编号" in unknown.text
    garbage = client.get("/t/%3Cscript%3E")
    assert garbage.status_code == 400 and "<script>" not in garbage.text


def test_the_lab_receives_from_the_tracking_page(app, client, auth):
    with app.app_context():
        sample = make_sample()
        make_user(Role.LAB_ANALYST, username="lab")
        code = sample.portions[0].code
        db.session.commit()
    auth.login("lab")
    page = client.get(f"/t/{code}")
    assert "封条完好，接收样品" in page.text and "拒收" in page.text
    response = client.post(f"/t/{code}/received", follow_redirects=True)
    assert "检验机构已接收" in response.text
    again = client.post(f"/t/{code}/received", follow_redirects=True)
    assert "已经接收过了" in again.text


def test_scanner_endpoint_receives_reports_duplicates_and_typos(app, client, auth):
    with app.app_context():
        samples = [make_sample(), make_sample()]
        make_user(Role.LAB_REVIEWER, username="scanner")
        codes_ = [s.portions[0].code for s in samples]
        db.session.commit()
    auth.login("scanner")
    first = client.post("/staff/scan", json={"code": f"http://localhost/t/{codes_[0]}"})
    assert first.status_code == 200 and first.json["ok"] and "已接收" in first.json["message"]
    duplicate = client.post("/staff/scan", json={"code": codes_[0]})
    assert duplicate.status_code == 409 and "已经接收过了" in duplicate.json["message"]
    typo = client.post(
        "/staff/scan",
        json={"code": codes_[1][:-1] + "Q" if codes_[1][-1] != "Q" else codes_[1][:-1] + "R"},
    )
    assert typo.status_code == 400 and "编号有误" in typo.json["message"]
    second = client.post("/staff/scan", data={"code": codes_[1]}, follow_redirects=True)
    assert "已接收" in second.text
    with app.app_context():
        statuses = db.session.scalars(sa.select(Sample.status)).all()
        assert statuses == [SampleStatus.RECEIVED, SampleStatus.RECEIVED]
        received = db.session.scalars(
            sa.select(CustodyEvent).where(CustodyEvent.action == "received")
        ).all()
        assert len(received) == 2
    assert re.search(r"扫码接收样品", client.get("/staff/scan").text)


def test_inspectors_see_only_their_own_samples_and_tasks(app, client, auth):
    with app.app_context():
        sample = make_sample()
        make_user(Role.INSPECTOR, username="other-team")
        make_user(Role.PUBLISHER, username="pub")
        ids = (sample.id, sample.photos[0].id, sample.task_id, sample.portions[0].code)
        db.session.commit()
    sample_id, photo_id, task_id, code = ids
    auth.login("other-team")
    assert client.get(f"/staff/samples/{sample_id}").status_code == 404
    assert client.get(f"/staff/samples/photos/{photo_id}").status_code == 404
    assert client.get(f"/staff/samples/labels.pdf?sample={sample_id}").status_code == 404
    assert client.get(f"/staff/tasks/{task_id}/sample").status_code == 409
    handed = client.post(f"/t/{code}/handed_over", data={"to_whom": "某人"}, follow_redirects=True)
    assert "只有抽取该样品的抽样员" in handed.text
    auth.logout()
    auth.login("pub")
    assert client.get(f"/staff/samples/{sample_id}").status_code == 200
    assert client.get(f"/staff/samples/photos/{photo_id}").status_code == 404


def test_the_public_timeline_shows_logistics_only(app, client):
    with app.app_context():
        from app.lab.models import FollowUp  # noqa: F401  (the failure opens one)
        from tests.factories import make_tested_sample

        sample, *_ = make_tested_sample(fail="腐霉利")
        code = sample.portions[0].code
        db.session.commit()
    page = client.get(f"/t/{code}")
    assert "开始检验" in page.text
    for hidden in ("检验结果已审核", "检验完成，提交审核", "备份样品"):
        assert hidden not in page.text


def test_a_large_photo_passes_the_csrf_checked_upload_limit(app, tmp_path):
    from app import create_app

    csrf_app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
            "PHOTO_DIR": str(tmp_path),
        },
    )
    with csrf_app.app_context():
        task, inspectors = make_released_task()
        db.session.commit()
        task_id, username = task.id, inspectors[0].username
    client = csrf_app.test_client()
    login = client.get("/staff/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login.text).group(1)
    client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": "correct-horse-battery"},
    )
    page = client.get(f"/staff/tasks/{task_id}/sample")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    big_photo = b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024)  # a 3 MB phone photo
    # Encoded in memory: a large body in the test client would be spooled to a temporary file.
    fields = MultiDict(form_data(csrf_token=token))
    fields.add("photos", FileStorage(io.BytesIO(big_photo), filename="p.jpg"))
    boundary, body = encode_multipart(fields)
    response = client.post(
        f"/staff/tasks/{task_id}/sample",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 302
    with csrf_app.app_context():
        db.engine.dispose()
