"""The residents' pages over HTTP: verify a phone, vote, change the vote, see the ranking;
bad input gets a clear message and a 4xx, and stores nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.voting.models import Ballot, CandidateKind, OneTimeCode, Suggestion
from app.voting.services import close_round
from tests.conftest import count_rows, last_code
from tests.factories import ids, make_round, make_user

PHONE = "13912345678"


@pytest.fixture
def open_round(app):
    with app.app_context():
        round_ = make_round()
        db.session.commit()
        return {
            "id": round_.id,
            "foods": ids(round_, CandidateKind.FOOD),
            "venues": ids(round_, CandidateKind.VENUE),
            "groups": ids(round_, CandidateKind.TEST_GROUP),
        }


def verify(client, outbox, phone: str = PHONE):
    response = client.post("/verify", data={"phone": phone})
    assert response.status_code == 302, response.text
    return client.post("/verify/code", data={"code": last_code(outbox)})


def ballot_count(app) -> int:
    with app.app_context():
        return count_rows(Ballot)


def test_resident_verifies_votes_changes_and_sees_ranking(app, client, sms_outbox, open_round):
    page = client.get(f"/rounds/{open_round['id']}")
    assert "验证手机号后投票" in page.text

    response = client.post(
        f"/verify?next=/rounds/{open_round['id']}",
        data={"phone": PHONE, "next": f"/rounds/{open_round['id']}"},
    )
    assert response.status_code == 302
    response = client.post(response.headers["Location"], data={"code": last_code(sms_outbox)})
    assert response.headers["Location"] == f"/rounds/{open_round['id']}"

    foods = open_round["foods"]
    response = client.post(f"/rounds/{open_round['id']}", data={"candidate": foods[:2]})
    assert response.status_code == 302
    mine = client.get("/my")
    assert "投票成功" in mine.text and "韭菜" in mine.text and "豇豆" in mine.text

    response = client.post(f"/rounds/{open_round['id']}", data={"candidate": [foods[3]]})
    assert response.status_code == 302
    mine = client.get("/my")
    assert "已修改您的投票" in mine.text and "鸡蛋" in mine.text and "韭菜" not in mine.text
    assert ballot_count(app) == 1

    ranking = client.get(f"/rounds/{open_round['id']}/ranking")
    assert ranking.status_code == 200
    assert "共 1 张选票" in ranking.text
    top = ranking.text.index("鸡蛋")
    assert ranking.text.index("1 票", top) > top


def test_voting_without_a_verified_phone_redirects_to_verification(app, client, open_round):
    response = client.post(
        f"/rounds/{open_round['id']}", data={"candidate": open_round["foods"][:1]}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/verify")
    assert ballot_count(app) == 0


@pytest.mark.parametrize(
    ("picks", "message"),
    [
        (lambda r: r["foods"] + r["venues"] + r["groups"], "选择的项目过多"),
        (lambda r: r["foods"][:4], "食品最多可选 3 种"),
        (lambda r: r["foods"][:1] + [999999], "不属于本轮投票"),
        (lambda r: ["abc"], "选择的项目无效"),
        (lambda r: list(range(1000, 1300)), "选择的项目过多"),
    ],
)
def test_bad_ballots_get_a_clear_message_and_store_nothing(
    app, client, sms_outbox, open_round, picks, message
):
    verify(client, sms_outbox)
    chosen = picks(open_round)
    response = client.post(f"/rounds/{open_round['id']}", data={"candidate": chosen})
    assert 400 <= response.status_code < 500
    assert message in response.text
    assert ballot_count(app) == 0


def test_another_rounds_candidate_is_refused(app, client, sms_outbox, open_round):
    with app.app_context():
        other = make_round()
        db.session.commit()
        foreign = ids(other, CandidateKind.FOOD, 1)
    verify(client, sms_outbox)
    response = client.post(f"/rounds/{open_round['id']}", data={"candidate": foreign})
    assert response.status_code == 400
    assert "不属于本轮投票" in response.text
    assert ballot_count(app) == 0


def test_forged_round_id_is_404(app, client, sms_outbox, open_round):
    verify(client, sms_outbox)
    for url in ("/rounds/987654", "/rounds/987654/ranking"):
        assert client.get(url).status_code == 404
    response = client.post("/rounds/987654", data={"candidate": open_round["foods"][:1]})
    assert response.status_code == 404 and "未找到该轮投票" in response.text
    assert client.get("/rounds/-1").status_code == 404
    assert ballot_count(app) == 0


def test_draft_and_closed_rounds_refuse_ballots(app, client, sms_outbox):
    with app.app_context():
        draft = make_round(publish=False)
        closed = make_round()
        close_round(closed, utcnow())
        db.session.commit()
        draft_id, closed_id = draft.id, closed.id
        closed_food = ids(closed, CandidateKind.FOOD, 1)
        draft_food = ids(draft, CandidateKind.FOOD, 1)
    verify(client, sms_outbox)
    response = client.post(f"/rounds/{closed_id}", data={"candidate": closed_food})
    assert response.status_code == 409 and "投票已结束" in response.text
    response = client.post(f"/rounds/{draft_id}", data={"candidate": draft_food})
    assert response.status_code == 404
    assert ballot_count(app) == 0


def test_expired_code_is_refused_with_a_message(app, client, sms_outbox):
    client.post("/verify", data={"phone": PHONE})
    with app.app_context():
        db.session.execute(
            sa.update(OneTimeCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = client.post("/verify/code", data={"code": last_code(sms_outbox)})
    assert response.status_code == 400
    assert "验证码已过期" in response.text
    with client.session_transaction() as session:
        assert "resident_id" not in session


def test_wrong_codes_lead_to_a_429_lockout(app, client, sms_outbox):
    client.post("/verify", data={"phone": PHONE})
    code = last_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post("/verify/code", data={"code": wrong}).status_code == 400
    response = client.post("/verify/code", data={"code": code})
    assert response.status_code == 429
    assert "尝试次数过多" in response.text


def test_bad_phone_gets_a_message(client, sms_outbox):
    response = client.post("/verify", data={"phone": "12345"})
    assert response.status_code == 400
    assert "请输入正确的 11 位手机号码" in response.text
    assert sms_outbox == []


def test_ten_megabyte_body_is_refused(app, client, sms_outbox, open_round):
    verify(client, sms_outbox)
    body = "candidate=1&" + "x" * (10 * 1024 * 1024)
    response = client.post(
        f"/rounds/{open_round['id']}", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "超过了允许的大小" in response.text
    assert ballot_count(app) == 0


def test_broken_utf8_is_refused(app, client, sms_outbox, open_round):
    verify(client, sms_outbox)
    response = client.post(
        f"/rounds/{open_round['id']}/suggestions",
        data=b"text=%E8%AF%B7%FF%FE%E6",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "无法识别的字符" in response.text
    response = client.post(
        f"/rounds/{open_round['id']}",
        data=b"candidate=%FF%FE",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    response = client.post(
        "/verify", data=b"phone=139%FF%FE", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    with app.app_context():
        assert count_rows(Suggestion) == 0 and count_rows(Ballot) == 0


def test_suggestion_is_stored_and_always_escaped(app, client, sms_outbox, open_round, auth):
    verify(client, sms_outbox)
    script = "<script>alert('x')</script>请检测韭菜"
    response = client.post(f"/rounds/{open_round['id']}/suggestions", data={"text": script})
    assert response.status_code == 302
    with app.app_context():
        make_user(Role.PLANNER, username="planner1")
        db.session.commit()
    auth.login("planner1")
    page = client.get("/staff/suggestions")
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text


def test_hidden_counts_are_not_shown_until_close(app, client):
    with app.app_context():
        round_ = make_round(hide_counts=True)
        db.session.commit()
        round_id = round_.id
    page = client.get(f"/rounds/{round_id}/ranking")
    assert "结束前不公布票数" in page.text and "票</span>" not in page.text


def test_round_list_shows_phases(app, client):
    with app.app_context():
        now = utcnow()
        make_round(title="正在进行的一轮")
        make_round(
            title="下周的一轮", opens_at=now + timedelta(days=7), closes_at=now + timedelta(days=9)
        )
        make_round(title="草稿一轮", publish=False)
        db.session.commit()
    page = client.get("/rounds")
    assert "正在进行的一轮" in page.text and "下周的一轮" in page.text
    assert "草稿一轮" not in page.text
    assert page.text.index("正在进行的一轮") < page.text.index("即将开始")


def test_english_is_the_second_language(client):
    page = client.get("/?lang=en")
    assert 'lang="en"' in page.text
    assert client.get("/").text.count('lang="en"') == 1  # the choice sticks in the session
