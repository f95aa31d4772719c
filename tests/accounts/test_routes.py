"""Every staff route states its roles and enforces them; every form is CSRF-protected;
sign-in, sign-out and the admin pages work over HTTP."""

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.accounts.models import Role, User
from app.clock import utcnow
from app.extensions import db
from app.lab.models import FollowUp
from app.publishing.services import NoticeDraft, publish_notice
from app.reference.models import Venue
from app.scheduling.services import allocate_round
from app.voting.models import CandidateKind, Suggestion
from app.voting.services import close_round
from tests.factories import (
    PASSWORD,
    make_resident,
    make_round,
    make_sample,
    make_tested_sample,
    make_user,
    make_venue,
)

OPEN_ENDPOINTS = {"accounts.login", "accounts.logout"}


def staff_rules(app):
    """Routes under /staff, and staff actions elsewhere (e.g. on a label's tracking page)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in OPEN_ENDPOINTS
        and (
            rule.rule.startswith("/staff")
            or hasattr(app.view_functions[rule.endpoint], "allowed_roles")
        )
    ]


def test_every_staff_route_declares_its_roles(app):
    undeclared = [
        rule.endpoint
        for rule in staff_rules(app)
        if not getattr(app.view_functions[rule.endpoint], "allowed_roles", None)
    ]
    assert staff_rules(app) and undeclared == []


@pytest.fixture
def fixtures_for_urls(app):
    with app.app_context():
        round_ = make_round(publish=False)
        user = make_user(Role.PLANNER, username="target")
        venue = make_venue()
        make_round()  # an open round for the dashboard
        planned = make_round(batch_budget=2, top_foods=2)
        close_round(planned, utcnow())
        task = allocate_round(planned.id, utcnow(), "test").tasks[0]
        sample = make_sample()
        _failed, failed_report, *_people = make_tested_sample(fail="腐霉利")
        follow_up = db.session.scalars(sa.select(FollowUp)).one()
        published, *_ = make_tested_sample()
        notice = publish_notice(
            [published],
            NoticeDraft("抽检信息", "你点我检", date(2026, 11, 27)),
            make_user(Role.PUBLISHER),
            utcnow(),
        )
        suggestion = Suggestion(round_id=round_.id, resident_id=make_resident().id, text="建议")
        db.session.add(suggestion)
        for role in Role:
            make_user(role, username=f"as-{role.value.replace('_', '-')}")
        db.session.commit()
        return {
            "round_id": round_.id,
            "candidate_id": round_.candidates_of(CandidateKind.FOOD)[0].id,
            "user_id": user.id,
            "venue_id": venue.id,
            "suggestion_id": suggestion.id,
            "task_id": task.id,
            "planned_round_id": planned.id,
            "sample_id": sample.id,
            "photo_id": sample.photos[0].id,
            "code": sample.portions[0].code,
            "action": "received",
            "day": "2027-02-08",
            "follow_up_id": follow_up.id,
            "step": "notified",
            "notice_id": notice.id,
        }


def _url(rule, values) -> str:
    arguments = {arg: values[arg] for arg in rule.arguments}
    if "task_id" in arguments and "round_id" in arguments:  # a task lives in its round's plan
        arguments["round_id"] = values["planned_round_id"]
    return rule.build(arguments)[1]


@pytest.mark.parametrize("role", list(Role))
def test_role_check_on_every_staff_route(app, client, auth, fixtures_for_urls, role):
    assert auth.login(f"as-{role.value.replace('_', '-')}").status_code == 302
    problems = []
    for rule in staff_rules(app):
        allowed = app.view_functions[rule.endpoint].allowed_roles
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule, fixtures_for_urls), method=method)
            response.close()  # a photo is a streamed file
            if role in allowed and response.status_code in (401, 403):
                problems.append(f"{method} {rule.rule}: {role.value} refused")
            if role not in allowed and response.status_code != 403:
                problems.append(f"{method} {rule.rule}: {role.value} got {response.status_code}")
            if response.status_code >= 500:
                problems.append(f"{method} {rule.rule}: {response.status_code}")
    assert problems == []


def test_strangers_are_sent_to_the_login_page(app, client, fixtures_for_urls):
    for rule in staff_rules(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_url(rule, fixtures_for_urls), method=method)
            response.close()
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/staff/login")


@pytest.fixture
def csrf_app(app):
    csrf_app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": True,
        },
    )
    yield csrf_app
    with csrf_app.app_context():
        db.engine.dispose()


def test_every_post_route_refuses_a_missing_csrf_token(csrf_app, fixtures_for_urls):
    client = csrf_app.test_client()
    posts = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    assert len(posts) >= 15
    for rule in posts:
        response = client.post(_url(rule, fixtures_for_urls), data={"candidate": "1"})
        assert response.status_code == 400, rule.rule
        assert "表单安全校验失败" in response.text, rule.rule


def test_a_real_form_with_its_token_is_accepted(csrf_app, fixtures_for_urls):
    client = csrf_app.test_client()
    page = client.get("/staff/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/staff/login", data={"csrf_token": token, "username": "as-admin", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"


def test_every_post_form_in_the_templates_carries_the_token():
    missing = []
    for template in Path("app").rglob("*.html"):
        for form in re.findall(r"<form[^>]*>.*?</form>", template.read_text(), flags=re.S):
            if re.search(r'method="post"', form) and "csrf_token" not in form:
                missing.append(f"{template}: {form[:80]}")
    assert missing == []


def test_login_logout_and_wrong_password(app, client, auth):
    with app.app_context():
        make_user(Role.PLANNER, username="wang")
        db.session.commit()
    response = auth.login("wang", "wrong-password")
    assert response.status_code == 400 and "用户名或密码错误" in response.text
    assert auth.login("wang").headers["Location"] == "/staff/"
    assert "工作台" in client.get("/staff/").text
    auth.logout()
    assert client.get("/staff/").status_code == 302


def test_login_lockout_answers_429(app, client, auth):
    with app.app_context():
        make_user(Role.PLANNER, username="zhao")
        db.session.commit()
    for _ in range(5):
        auth.login("zhao", "wrong-password")
    response = auth.login("zhao")
    assert response.status_code == 429 and "尝试次数过多" in response.text


def test_deactivated_user_is_signed_out(app, client, auth):
    with app.app_context():
        make_user(Role.ADMIN, username="root")
        inspector = make_user(Role.INSPECTOR, username="liming")
        db.session.commit()
        inspector_id = inspector.id
    other = app.test_client()
    other.post("/staff/login", data={"username": "liming", "password": PASSWORD})
    assert other.get("/staff/").status_code == 200
    auth.login("root")
    response = client.post(
        f"/staff/users/{inspector_id}",
        data={"username": "liming", "display_name": "李", "role": "inspector", "district_code": ""},
    )
    assert response.status_code == 302
    assert other.get("/staff/").status_code == 302


def test_admin_creates_and_edits_a_venue(app, client, auth):
    with app.app_context():
        make_user(Role.ADMIN, username="root")
        db.session.commit()
    auth.login("root")
    data = {
        "name": "牧野区新华菜市场",
        "address": "新乡市牧野区新华路8号",
        "district_code": "410711",
        "venue_type_key": "farmers_market",
        "credit_code": "",
        "licence_no": "",
    }
    assert client.post("/staff/venues/new", data=data).status_code == 302
    duplicate = client.post("/staff/venues/new", data=data)
    assert duplicate.status_code == 400 and "同名场所" in duplicate.text
    bad = client.post("/staff/venues/new", data=dict(data, name="别的", district_code="999999"))
    assert bad.status_code == 400
    with app.app_context():
        venue = db.session.scalars(sa.select(Venue)).one()
        venue_id = venue.id
    response = client.post(f"/staff/venues/{venue_id}", data=dict(data, address="新址"))
    assert response.status_code == 302
    with app.app_context():
        venue = db.session.get(Venue, venue_id)
        assert venue.address == "新址" and venue.active is False  # unticked box deactivates


def test_admin_creates_a_user_and_sees_the_password_once(app, client, auth):
    with app.app_context():
        make_user(Role.ADMIN, username="root")
        db.session.commit()
    auth.login("root")
    response = client.post(
        "/staff/users/new",
        data={
            "username": "chen",
            "display_name": "陈静",
            "role": "lab_reviewer",
            "district_code": "",
            "active": "y",
        },
        follow_redirects=True,
    )
    assert "初始密码" in response.text
    password = re.search(r"初始密码：(\S+?)（", response.text).group(1)
    assert "初始密码" not in client.get("/staff/users").text
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.username == "chen")).one()
        assert user.role == Role.LAB_REVIEWER and user.check_password(password)
