"""A resident votes on a 360 px phone with JavaScript off; the public pages fit that phone."""

import os
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.clock import utcnow
from app.extensions import db
from app.voting import services as voting
from app.voting.models import Ballot, CandidateKind, RoundTheme
from tests.conftest import hours, last_code
from tests.factories import ids, make_resident, make_round

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.path.exists("/usr/bin/chromium"),
        reason="needs Debian's Chromium at /usr/bin/chromium (CI installs it)",
    ),
]

WIDTH = 360
MIN_TARGET = 44  # px, the smallest comfortable touch target
MIN_BODY_FONT = 16  # px; smaller text in inputs also makes mobile Safari zoom in
MIN_SECONDARY_FONT = 12  # px, for deliberately small notes (see SECONDARY below)
# Notes styled smaller on purpose: hints, badges, a choice's category line, the footer.
SECONDARY = ".muted, .hint, .badge, .choice-meta, .brand-sub, .site-footer, th"

LONG_TITLE = "2025年春节年货市场食品安全“你点我检”群众投票活动（红旗区、卫滨区、牧野区）"


def _open_round(app, **overrides) -> tuple[int, str]:
    with app.app_context():
        round_ = make_round(**overrides)
        db.session.commit()
        return round_.id, round_.title


def _food(label: str):
    """A food's checkbox, named by its label (food name, then its category line)."""
    return re.compile(rf"^\s*{re.escape(label)}(\s|$)")


def _tap_label(page: Page, label: str) -> None:
    """Tap a choice's text; the <label> wrapping the checkbox toggles it, no script needed."""
    page.locator("label.check").filter(has_text=label).get_by_text(label).click()


def _sign_in(page: Page, outbox, phone: str) -> None:
    """On the phone page: type the phone, read the code from the fake SMS outbox, verify."""
    page.get_by_label("手机号码").fill(phone)
    sent = len(outbox)
    page.get_by_role("button", name="获取验证码").click()
    expect(page).to_have_url(re.compile(r"/verify/code"))
    expect(page.locator(".flash-success")).to_contain_text(f"验证码已发送到 {phone[:3]}****")
    assert len(outbox) == sent + 1 and outbox[-1][0] == phone
    page.get_by_label("6 位验证码").fill(last_code(outbox))
    page.get_by_role("button", name="验证").click()
    expect(page.locator(".flash-success")).to_have_text("手机号验证成功。")


def test_resident_votes_then_changes_the_vote_without_javascript(app, page: Page):
    round_id, title = _open_round(app, title=LONG_TITLE)
    outbox = app.extensions["sms_sender"].outbox

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("你点我检：您来点，我们检")
    page.get_by_role("link", name=re.compile(re.escape(title))).click()
    expect(page).to_have_url(re.compile(rf"/rounds/{round_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    # Not signed in: no submit button yet, only the way to verify a phone.
    expect(page.get_by_role("button", name="提交投票")).to_have_count(0)

    page.get_by_role("link", name="验证手机号后投票").click()
    expect(page.get_by_role("heading", name="验证手机号")).to_be_visible()
    _sign_in(page, outbox, "13912345678")
    expect(page).to_have_url(re.compile(rf"/rounds/{round_id}$"))

    # Tick two foods by tapping their label text (each label wraps its checkbox).
    _tap_label(page, "韭菜")
    _tap_label(page, "豇豆")
    expect(page.get_by_role("checkbox", name=_food("韭菜"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=_food("豇豆"))).to_be_checked()
    page.get_by_role("button", name="提交投票").click()

    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的投票")
    expect(page.locator(".flash-success")).to_have_text("投票成功，感谢参与！")
    card = page.locator("section.card").filter(has_text=title)
    expect(card.locator("li")).to_have_text(["韭菜", "豇豆"])

    # Back to the round: the ballot is remembered; swap 豇豆 for 芹菜.
    card.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(rf"/rounds/{round_id}$"))
    expect(page.get_by_text("您已投票，可以修改，以最后一次提交为准。")).to_be_visible()
    expect(page.get_by_role("checkbox", name=_food("韭菜"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=_food("豇豆"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=_food("芹菜"))).not_to_be_checked()
    _tap_label(page, "豇豆")
    _tap_label(page, "芹菜")
    expect(page.get_by_role("checkbox", name=_food("豇豆"))).not_to_be_checked()
    expect(page.get_by_role("checkbox", name=_food("芹菜"))).to_be_checked()
    page.get_by_role("button", name="修改投票").click()

    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.locator(".flash-success")).to_have_text("已修改您的投票，以最后一次提交为准。")
    expect(card.locator("li")).to_have_text(["韭菜", "芹菜"])

    with app.app_context():
        ballots = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_id)).all()
        assert len(ballots) == 1
        assert ballots[0].version == 2
        assert sorted(pick.candidate.label for pick in ballots[0].picks) == sorted(["韭菜", "芹菜"])

    page.goto(f"/rounds/{round_id}")
    page.get_by_role("link", name="查看实时排名").click()
    expect(page).to_have_url(re.compile(rf"/rounds/{round_id}/ranking$"))
    expect(page.get_by_text("共 1 张选票")).to_be_visible()
    foods = page.locator("section.card").filter(has=page.get_by_role("heading", name="食品"))
    expect(foods.locator("li").filter(has_text="芹菜").locator(".votes")).to_have_text("1 票")
    expect(foods.locator("li").filter(has_text="韭菜").locator(".votes")).to_have_text("1 票")
    expect(foods.locator("li").filter(has_text="豇豆").locator(".votes")).to_have_text("0 票")


# Runs in the page (page.evaluate works even though the page's own scripts are disabled).
MEASURE = """
([width, minTarget, minBody, minSecondary, secondary]) => {
  const problems = [];
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 30);
    const cls = el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `<${el.tagName.toLowerCase()}${cls}> "${text}"`;
  };
  const shown = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== 'hidden' && style.display !== 'none'
      && box.width > 1 && box.height > 1;
  };

  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > width) {
    problems.push(`horizontal scroll: documentElement.scrollWidth = ${scrollWidth} > ${width}`);
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (shown(el) && box.right > width + 0.5) {
        problems.push(`  sticks out: ${describe(el)} right edge at ${box.right.toFixed(1)} px`);
      }
    }
  }

  // Touch targets. A checkbox is tapped through the label that wraps it.
  const targets = new Set();
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea';
  for (const el of document.querySelectorAll(controls)) {
    const target = el.matches('input[type=checkbox], input[type=radio]')
      ? (el.closest('label') || el) : el;
    targets.add(target);
  }
  for (const el of targets) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.height < minTarget) {
      problems.push(`touch target ${box.width.toFixed(1)}x${box.height.toFixed(1)} px`
        + ` (height < ${minTarget}): ${describe(el)}`);
    }
  }

  // Text size: body text and form controls at least minBody; small notes at least minSecondary.
  const bodySize = parseFloat(getComputedStyle(document.body).fontSize);
  if (bodySize < minBody) problems.push(`body font-size ${bodySize} px < ${minBody}`);
  for (const el of document.body.querySelectorAll('*')) {
    const ownText = [...el.childNodes].some(
      (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
    const control = el.matches('input:not([type=hidden]):not([type=checkbox]), select, textarea');
    if ((!ownText && !control) || !shown(el) || el.closest('.sr-only')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const floor = !control && el.closest(secondary) ? minSecondary : minBody;
    if (size < floor) problems.push(`font-size ${size} px < ${floor}: ${describe(el)}`);
  }
  return problems;
}
"""


def _layout_problems(page: Page, name: str) -> list[str]:
    # After a redirect the DOM can be there before the stylesheet: measure the finished page.
    page.wait_for_load_state("load")
    found = page.evaluate(
        MEASURE, [WIDTH, MIN_TARGET, MIN_BODY_FONT, MIN_SECONDARY_FONT, SECONDARY]
    )
    return [f"{name} ({page.url}): {problem}" for problem in found]


def test_public_pages_fit_a_360px_phone(app, page: Page, tmp_path):
    now = utcnow()
    round_id, title = _open_round(app, title=LONG_TITLE, foods=8, venues=3)
    with app.app_context():
        short_id = make_round(title="校园食堂", theme=RoundTheme.CAMPUS).id
        make_round(title="即将开始的投票", opens_at=now + hours(24), closes_at=now + hours(72))
        round_ = voting.get_public_round(round_id)
        # Someone else's ballot, so the ranking has bars and counts.
        voting.submit_ballot(
            round_id,
            make_resident("13700000001").id,
            ids(round_, CandidateKind.FOOD, 2)
            + ids(round_, CandidateKind.VENUE, 1)
            + ids(round_, CandidateKind.TEST_GROUP, 1),
            now,
        )
        db.session.commit()
    outbox = app.extensions["sms_sender"].outbox
    problems: list[str] = []

    page.goto("/")
    expect(page.get_by_role("link", name=re.compile(re.escape(title)))).to_be_visible()
    problems += _layout_problems(page, "home")

    page.goto("/staff/login")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    problems += _layout_problems(page, "staff login")

    page.goto(f"/verify?next=/rounds/{round_id}")
    expect(page.get_by_label("手机号码")).to_be_visible()
    problems += _layout_problems(page, "phone")
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_label("6 位验证码")).to_be_visible()
    problems += _layout_problems(page, "code")
    page.get_by_label("6 位验证码").fill(last_code(outbox))
    page.get_by_role("button", name="验证").click()

    expect(page).to_have_url(re.compile(rf"/rounds/{round_id}$"))
    expect(page.get_by_role("button", name="提交投票")).to_be_visible()
    expect(page.get_by_role("heading", name="具体场所")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile("农药残留|兽药残留")).first).to_be_visible()
    problems += _layout_problems(page, "round (signed in)")
    shot = tmp_path / "round-360.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    print(f"screenshot of the round page: {shot}")

    _tap_label(page, "姜")
    _tap_label(page, "商场超市")
    page.get_by_role("button", name="提交投票").click()
    expect(page.locator(".flash-success")).to_have_text("投票成功，感谢参与！")
    # A one-line round title too: its link must not be smaller than a long, wrapped one.
    page.goto(f"/rounds/{short_id}")
    _tap_label(page, "韭菜")
    page.get_by_role("button", name="提交投票").click()
    expect(page.locator("section.card h2")).to_have_count(2)
    problems += _layout_problems(page, "my ballots")

    page.goto(f"/rounds/{round_id}/ranking")
    expect(page.get_by_text("共 2 张选票")).to_be_visible()
    problems += _layout_problems(page, "ranking")

    page.goto("/")
    problems += _layout_problems(page, "home (signed in)")

    assert not problems, "layout problems at 360 px:\n" + "\n".join(problems)
