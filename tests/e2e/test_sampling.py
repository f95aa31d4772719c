"""Samples in a real browser: an inspector records one on a 360 px phone and prints its
labels; the lab's scanning page reads a printed label through a (fake) camera and receives
the sample once, and the manual box reports wrong and repeated codes without stopping."""

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from app.accounts.models import Role, User
from app.clock import to_shanghai, utcnow
from app.extensions import db
from app.sampling import services as sampling
from app.sampling.labels import LabelData, render_labels
from app.sampling.models import (
    CustodyEvent,
    Packaging,
    PortionKind,
    Sample,
    SampleStatus,
    SamplingStage,
    Storage,
)
from app.scheduling.models import Task
from app.scheduling.services import allocate_round, release_plan
from tests.e2e.conftest import CHROMIUM, PHONE
from tests.factories import PASSWORD, make_user
from tests.scheduling.conftest import make_closed_round

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (CI installs it)",
    ),
]

WIDTH = 360
# Somewhere in 红旗区, 新乡.
HERE = {"latitude": 35.3027, "longitude": 113.8836}
WRONG_CODE = "7KQ3M9XW2A"  # 7KQ3M9XW2 + a wrong check symbol


@pytest.fixture
def csrf_on(app, monkeypatch):
    """The testing config switches CSRF off; these tests send the real tokens, so check them."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _released_plan(app) -> tuple[str, str]:
    """A closed round's plan, released, every task assigned to the same two inspectors."""
    with app.app_context():
        first = make_user(Role.INSPECTOR, username="e2e-inspector-a", district_code="410702")
        second = make_user(Role.INSPECTOR, username="e2e-inspector-b", district_code="410703")
        planner = make_user(Role.PLANNER)
        round_, _venues = make_closed_round()
        db.session.flush()
        plan = allocate_round(round_.id, utcnow(), "e2e")
        release_plan(plan, planner, utcnow())
        assert plan.tasks and all(
            {task.inspector_a_id, task.inspector_b_id} == {first.id, second.id}
            for task in plan.tasks
        )
        db.session.commit()
        return first.username, second.username


def _log_in(page: Page, username: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/staff/login"))


def _scroll_width(page: Page) -> int:
    page.wait_for_load_state("load")  # measured with the stylesheet applied
    return page.evaluate("document.documentElement.scrollWidth")


def _png(width: int = 32, height: int = 24) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 160, 80)).save(buffer, "PNG")
    return buffer.getvalue()


def test_inspector_records_a_sample_on_a_phone_and_prints_its_labels(
    app, browser, live_server, csrf_on
):
    inspector, _partner = _released_plan(app)
    context = browser.new_context(
        base_url=live_server,
        **{**PHONE, "java_script_enabled": True},
        permissions=["geolocation"],
        geolocation=HERE,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _log_in(page, inspector)
        page.get_by_role("link", name="我的任务").tap()
        expect(page).to_have_url(re.compile(r"/staff/tasks$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("我的抽样任务")
        expect(page.get_by_role("link", name="填写抽样单").first).to_be_visible()
        assert _scroll_width(page) <= WIDTH, "the task list scrolls sideways at 360 px"

        page.get_by_role("link", name="填写抽样单").first.tap()
        expect(page).to_have_url(re.compile(r"/staff/tasks/\d+/sample$"))
        task_id = int(re.search(r"/tasks/(\d+)/sample", page.url).group(1))
        expect(page.get_by_role("heading", level=1)).to_have_text("抽样单")
        assert _scroll_width(page) <= WIDTH, "the sampling form scrolls sideways at 360 px"
        with app.app_context():
            food = db.session.get(Task, task_id).food.label
        expect(page.get_by_label("样品名称")).to_have_value(food)
        # The number's year must be the sampling date's (prefilled with today in Shanghai).
        sampled_on = page.get_by_label("抽样日期").input_value()
        number = f"DC{sampled_on[2:4]}410700000123"
        # geolocation.js fills the hidden location fields from the (granted) position.
        expect(page.locator("#latitude")).to_have_value(re.compile(r"^35\.30"))

        page.get_by_label("抽样单编号").fill(number)
        page.get_by_label("批号").fill("20260115A")
        page.get_by_label("抽样数量").fill("2")
        page.get_by_label("备样数量").fill("2")
        page.get_by_label("被抽样单位签字人").fill("王摊主")
        page.get_by_label(re.compile("^照片")).set_input_files(
            {"name": "stall.png", "mimeType": "image/png", "buffer": _png()}
        )
        page.get_by_role("button", name="保存抽样单").tap()

        expect(page).to_have_url(re.compile(r"/staff/samples/\d+$"))
        expect(page.locator(".flash-success")).to_have_text("抽样单已保存，请打印并粘贴标签。")
        expect(page.get_by_role("heading", level=1)).to_have_text(food)
        sample_id = int(re.search(r"/samples/(\d+)$", page.url).group(1))

        link = page.get_by_role("link", name="打印标签（50×30 mm）")
        expect(link).to_be_visible()
        response = page.request.get(link.get_attribute("href"))
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")
        assert len(PdfReader(io.BytesIO(response.body())).pages) == 2  # test + backup portion
    finally:
        context.close()

    with app.app_context():
        sample = db.session.get(Sample, sample_id)
        assert sample is not None and sample.task_id == task_id
        assert sample.status == SampleStatus.SAMPLED
        assert sample.official_number == number and sample.product_name == food
        assert (sample.quantity, sample.backup_quantity) == (2, 2)
        assert sample.batch_number == "20260115A" and sample.business_signer == "王摊主"
        assert sorted(portion.kind.value for portion in sample.portions) == sorted(
            kind.value for kind in PortionKind
        )
        assert len(sample.photos) == 1 and sample.photos[0].content_type == "image/png"
        [event] = sample.events
        assert event.action == "sampled" and event.actor.username == inspector
        assert event.latitude == pytest.approx(HERE["latitude"], abs=1e-4)


# --- The lab's scanner with a fake camera -------------------------------------------------------


def _sampled_sample(app) -> tuple[int, str, bytes]:
    """A recorded sample: its id, its test portion's code and that portion's sticker PDF."""
    inspector, _partner = _released_plan(app)
    with app.app_context():
        author = db.session.scalars(sa.select(User).where(User.username == inspector)).one()
        task = db.session.scalars(sa.select(Task).order_by(Task.id)).first()
        today = to_shanghai(utcnow()).date()
        record = sampling.SamplingRecord(
            official_number=f"DC{today.year % 100:02d}410700000456",
            stage=SamplingStage.CIRCULATION,
            product_name=task.food.label,
            packaging=Packaging.BULK,
            storage=Storage.AMBIENT,
            quantity=2,
            backup_quantity=2,
            quantity_unit="kg",
            sampled_on=today,
            batch_number="B-1",
            business_signer="王摊主",
        )
        sample = sampling.record_sample(task, record, author, utcnow())
        db.session.commit()
        portion = next(p for p in sample.portions if p.kind == PortionKind.TEST)
        label = LabelData(
            code=portion.code,
            url=f"{app.config['PUBLIC_BASE_URL']}/t/{portion.code}",
            food=sample.product_name,
            venue=task.venue.name,
            sampled_on=sample.sampled_on,
            portion="检验样品",
            official_number=sample.official_number,
        )
        pdf = render_labels([label], "sticker", app.config.get("CJK_FONT_PATH"))
        return sample.id, portion.code, pdf


def _label_video(pdf: bytes, folder: Path, size=(640, 480), frames: int = 10) -> Path:
    """A Y4M video (4:2:0, C420jpeg) of the label's first page, centred on white."""
    (folder / "label.pdf").write_bytes(pdf)
    command = "pdftoppm -r 200 -png -f 1 -l 1 -singlefile".split()
    subprocess.run(
        [*command, str(folder / "label.pdf"), str(folder / "label")], check=True, timeout=60
    )
    with Image.open(folder / "label.png") as rendered:
        label = rendered.convert("RGB")
    width, height = size
    assert label.width <= width and label.height <= height, label.size
    picture = Image.new("RGB", size, "white")
    picture.paste(label, ((width - label.width) // 2, (height - label.height) // 2))
    luma, blue, red = picture.convert("YCbCr").split()  # full range, as C420jpeg means
    half = (width // 2, height // 2)
    frame = (
        luma.tobytes()
        + blue.resize(half, Image.Resampling.BOX).tobytes()
        + red.resize(half, Image.Resampling.BOX).tobytes()
    )
    video = folder / "label.y4m"
    with video.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)
    return video


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_the_lab_scans_a_label_with_the_camera_and_types_codes(
    app, live_server, camera_browser, csrf_on, tmp_path
):
    sample_id, code, pdf = _sampled_sample(app)
    with app.app_context():
        make_user(Role.LAB_ANALYST, username="e2e-analyst")
        db.session.commit()
    video = _label_video(pdf, tmp_path)

    browser = camera_browser(video)
    context = browser.new_context(
        base_url=live_server,
        **{**PHONE, "java_script_enabled": True},
        permissions=["camera"],
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _log_in(page, "e2e-analyst")
        page.get_by_role("link", name="扫码接收").tap()
        expect(page).to_have_url(re.compile(r"/staff/scan$"))
        expect(page.locator("#scanner")).to_be_visible()

        # The camera sees the label: received once, however long the label stays in view.
        items = page.locator("#scan-list li")
        expect(page.locator("#scan-count")).to_have_text("1", timeout=30_000)
        expect(items).to_have_count(1)
        expect(items.first).to_have_class("ok")
        expect(items.first).to_contain_text("已接收")
        expect(page.locator("#scanner-status")).to_have_text("将标签上的二维码对准摄像头。")
        page.wait_for_timeout(4_000)  # longer than the repeat window, label still in view
        expect(items).to_have_count(1)

        # The manual box: a mistyped code, then the code already received; the batch goes on.
        box = page.get_by_label("样品编号")
        box.fill(WRONG_CODE)
        page.get_by_role("button", name="接收").tap()
        expect(items).to_have_count(2)
        expect(items.nth(1)).to_have_class("fail")
        expect(items.nth(1)).to_contain_text("编号有误")
        expect(box).to_have_value("")
        expect(box).to_be_focused()

        box.fill(code.lower())
        box.press("Enter")
        expect(items).to_have_count(3)
        expect(items.nth(2)).to_have_class("fail")
        expect(items.nth(2)).to_contain_text("已经接收过")
        expect(page.locator("#scan-count")).to_have_text("1")
        expect(page).to_have_url(re.compile(r"/staff/scan$"))  # never left the page
        assert _scroll_width(page) <= WIDTH, "the scanning page scrolls sideways at 360 px"
    finally:
        context.close()
    assert not errors, errors

    with app.app_context():
        sample = db.session.get(Sample, sample_id)
        assert sample.status == SampleStatus.RECEIVED and sample.seals_intact
        received = db.session.scalars(
            sa.select(CustodyEvent).where(
                CustodyEvent.sample_id == sample_id, CustodyEvent.action == "received"
            )
        ).all()
        assert len(received) == 1
        assert received[0].actor.username == "e2e-analyst"


def test_without_javascript_the_scanning_page_is_a_plain_form(app, page: Page, csrf_on):
    sample_id, code, _pdf = _sampled_sample(app)
    with app.app_context():
        make_user(Role.LAB_ANALYST, username="e2e-analyst")
        db.session.commit()
    _log_in(page, "e2e-analyst")
    page.goto("/staff/scan")
    expect(page.locator("#scanner")).to_be_hidden()
    page.get_by_label("样品编号").fill(WRONG_CODE)
    page.get_by_role("button", name="接收").click()
    expect(page).to_have_url(re.compile(r"/staff/scan$"))
    expect(page.locator(".flash-error")).to_contain_text("编号有误")
    page.get_by_label("样品编号").fill(f"{code[:5]}-{code[5:]}")
    page.get_by_role("button", name="接收").click()
    expect(page.locator(".flash-success")).to_contain_text("已接收")
    with app.app_context():
        assert db.session.get(Sample, sample_id).status == SampleStatus.RECEIVED


def test_without_a_camera_the_page_says_so_and_the_manual_box_still_works(
    app, browser, live_server, csrf_on
):
    sample_id, code, _pdf = _sampled_sample(app)
    with app.app_context():
        make_user(Role.LAB_ANALYST, username="e2e-analyst")
        db.session.commit()
    # The session browser has no (fake) camera and nobody to say yes to a prompt.
    context = browser.new_context(base_url=live_server, **{**PHONE, "java_script_enabled": True})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _log_in(page, "e2e-analyst")
        page.goto("/staff/scan")
        expect(page.locator("#scanner-status")).to_contain_text("请在下方手动输入编号")
        expect(page.locator("#camera")).to_be_hidden()
        page.get_by_label("样品编号").fill(code)
        page.get_by_role("button", name="接收").tap()
        expect(page.locator("#scan-list li.ok")).to_contain_text("已接收")
        expect(page.locator("#scan-count")).to_have_text("1")
    finally:
        context.close()
    with app.app_context():
        assert db.session.get(Sample, sample_id).status == SampleStatus.RECEIVED
