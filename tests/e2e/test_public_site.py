"""The public results site on a 360 px phone with JavaScript off: a resident finds a failed
sample, opens its result and its notice, downloads the notice PDF and checks that a copy of
it is genuine; every public page fits the phone."""

import hashlib
import os
import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.publishing import services as publishing
from app.sampling.models import PortionKind
from tests.e2e.conftest import CHROMIUM
from tests.e2e.test_mobile_voting import (
    MEASURE,
    MIN_BODY_FONT,
    MIN_SECONDARY_FONT,
    MIN_TARGET,
    SECONDARY,
    WIDTH,
)
from tests.factories import make_tested_sample, make_user

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (CI installs it)",
    ),
]

DRAFT = publishing.NoticeDraft(
    title="食品安全监督抽检信息",
    task_source="2026年秋季“你点我检”进校园",
    published_on=date(2026, 11, 27),
)
AUTHENTIC = "这是本局发布的真实公告"
NOT_FOUND = "未找到与此文件一致的公告"


@pytest.fixture
def csrf_on(app, monkeypatch):
    """The testing config switches CSRF off; the verify form sends the real token, so check it."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _published_notice(app, fail: str = "腐霉利") -> dict:
    """Three verified samples (two pass, one fails `fail`) published in one notice, committed."""
    with app.app_context():
        passes = [make_tested_sample()[0] for _ in range(2)]
        failed = make_tested_sample(fail=fail)[0]
        notice = publishing.publish_notice(
            [*passes, failed], DRAFT, make_user(Role.PUBLISHER), utcnow()
        )
        db.session.commit()
        return {
            "id": notice.id,
            "number": notice.number,
            "sha256": notice.sha256,
            "pdf": notice.pdf,
            "failed_code": failed.portion(PortionKind.TEST).code,
        }


# The brief for these pages: no sideways scrolling and comfortable touch targets. MEASURE also
# checks text sizes; those findings are printed as notes, not asserted (see NOTES below).
LAYOUT = ("horizontal scroll", "  sticks out", "touch target")
NOTES: list[str] = []


@pytest.fixture(autouse=True)
def _fresh_notes():
    NOTES.clear()
    yield
    NOTES.clear()


def _layout_problems(page: Page, name: str) -> list[str]:
    # Measure the finished page (stylesheet loaded), as test_mobile_voting does.
    page.wait_for_load_state("load")
    found = page.evaluate(
        MEASURE, [WIDTH, MIN_TARGET, MIN_BODY_FONT, MIN_SECONDARY_FONT, SECONDARY]
    )
    where = f"{name} ({page.url})"
    NOTES.extend(f"{where}: {problem}" for problem in found if not problem.startswith(LAYOUT))
    return [f"{where}: {problem}" for problem in found if problem.startswith(LAYOUT)]


def _report(problems: list[str]) -> None:
    if NOTES:
        print("\ntext-size notes (not asserted):\n" + "\n".join(NOTES))
        NOTES.clear()
    if problems:
        print("\nlayout problems at 360 px:\n" + "\n".join(problems))


def test_resident_finds_a_failed_sample_and_its_notice(app, page: Page):
    published = _published_notice(app)
    code, notice_id = published["failed_code"], published["id"]
    problems: list[str] = []

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("你点我检：您来点，我们检")
    expect(page.get_by_role("link", name=published["number"])).to_be_visible()
    problems += _layout_problems(page, "home")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="结果查询").click()
    expect(page).to_have_url(re.compile(r"/results$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("结果查询")
    expect(page.get_by_text("共 3 批次")).to_be_visible()
    problems += _layout_problems(page, "results")

    page.get_by_label("结论").select_option(label="不合格")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"/results\?.*verdict=fail"))
    expect(page.get_by_label("结论")).to_have_value("fail")
    expect(page.get_by_text("共 1 批次")).to_be_visible()
    cards = page.locator("main section.card").filter(has=page.get_by_role("heading", level=2))
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card.locator(".badge")).to_have_text("不合格")
    # The notice's own notation: 项目║结果║标准值.
    expect(card.locator(".failed-item")).to_have_text("腐霉利║1mg/kg║≤0.2mg/kg")
    sample_link = card.get_by_role("link").first
    expect(sample_link).to_have_attribute("href", f"/t/{code}")
    problems += _layout_problems(page, "results (不合格)")

    sample_link.click()
    expect(page).to_have_url(re.compile(rf"/t/{code}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("样品查询")
    result = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=re.compile("检验结果"))
    )
    expect(result.get_by_role("heading", level=2)).to_contain_text("不合格")
    failed_rows = result.locator("tr.failed-item")
    expect(failed_rows).to_have_count(1)
    expect(failed_rows.locator("td")).to_have_text(["腐霉利", "1mg/kg", "≤0.2mg/kg", "不合格"])
    # Every other item passed and is not highlighted.
    expect(result.locator("tbody tr:not(.failed-item)").first).to_contain_text("合格")
    notice_link = result.get_by_role("link", name=published["number"])
    expect(notice_link).to_be_visible()
    problems += _layout_problems(page, "sample")

    notice_link.click()
    expect(page).to_have_url(re.compile(rf"/notices/{notice_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(published["number"])
    expect(page.locator("code.digest")).to_have_text(published["sha256"])
    expect(page.locator("main ol li")).to_have_count(3)
    expect(page.locator(f'main ol a[href="/t/{code}"]')).to_have_count(1)
    download = page.get_by_role("link", name="下载 PDF")
    expect(download).to_have_attribute("href", f"/notices/{notice_id}.pdf")
    problems += _layout_problems(page, "notice")

    response = page.request.get(download.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF") and body == published["pdf"]

    page.goto("/notices")
    expect(page.get_by_role("heading", level=1)).to_have_text("抽检公告")
    expect(page.get_by_role("link", name=published["number"])).to_be_visible()
    problems += _layout_problems(page, "archive")

    page.goto("/stats")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    problems += _layout_problems(page, "stats")

    _report(problems)
    assert not problems, "layout problems at 360 px:\n" + "\n".join(problems)


def test_resident_verifies_a_notice_by_file_and_by_hash(app, page: Page, tmp_path, csrf_on):
    published = _published_notice(app)
    response = page.request.get(f"/notices/{published['id']}.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    genuine = tmp_path / "notice.pdf"
    genuine.write_bytes(response.body())
    assert hashlib.sha256(genuine.read_bytes()).hexdigest() == published["sha256"]
    problems: list[str] = []

    page.goto("/notices")
    page.get_by_role("link", name="核验公告真伪").click()
    expect(page).to_have_url(re.compile(r"/notices/verify$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("核验公告真伪")
    problems += _layout_problems(page, "verify")

    page.get_by_label("公告 PDF 文件").set_input_files(str(genuine))
    page.get_by_role("button", name="核验").click()
    expect(page.locator(".flash-success")).to_contain_text(AUTHENTIC)
    expect(page.locator(".flash-error")).to_have_count(0)
    found = page.get_by_role("link", name=published["number"])
    expect(found).to_have_attribute("href", f"/notices/{published['id']}")
    problems += _layout_problems(page, "verify (authentic)")

    # One byte changed in the middle of the file: no longer the published notice.
    data = bytearray(genuine.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "notice-tampered.pdf"
    tampered.write_bytes(bytes(data))
    page.get_by_label("公告 PDF 文件").set_input_files(str(tampered))
    page.get_by_role("button", name="核验").click()
    expect(page.locator(".flash-error")).to_contain_text(NOT_FOUND)
    expect(page.get_by_text(AUTHENTIC)).to_have_count(0)
    expect(page.get_by_role("link", name=published["number"])).to_have_count(0)
    problems += _layout_problems(page, "verify (not found)")

    # No file, just the SHA-256 pasted (upper case, with spaces around it).
    page.get_by_label("或粘贴 SHA-256").fill(f"  {published['sha256'].upper()} ")
    page.get_by_role("button", name="核验").click()
    expect(page.locator(".flash-success")).to_contain_text(AUTHENTIC)
    expect(page.get_by_role("link", name=published["number"])).to_be_visible()

    _report(problems)
    assert not problems, "layout problems at 360 px:\n" + "\n".join(problems)
