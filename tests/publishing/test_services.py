"""Publishing notices: one transaction, never edited, corrections supersede; verification;
the public sees results only once published."""

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import utcnow
from app.errors import DomainError, NotAllowed
from app.extensions import db
from app.publishing import services as publishing
from app.publishing.models import Notice, NoticeEntry, NoticeStatus
from app.sampling.models import SampleStatus
from tests.factories import make_tested_sample, make_user

DRAFT = publishing.NoticeDraft(
    title="食品安全监督抽检信息",
    task_source="2026年秋季“你点我检”进校园",
    published_on=date(2026, 11, 27),
)


def test_publishing_stores_the_pdf_and_its_hash_and_marks_the_samples(ctx):
    passed, *_ = make_tested_sample()
    failed, *_ = make_tested_sample(fail="腐霉利")
    publisher = make_user(Role.PUBLISHER)
    assert {s.id for s in publishing.publishable_samples(publishing.NoticeFilters())} == {
        passed.id,
        failed.id,
    }
    notice = publishing.publish_notice([passed, failed], DRAFT, publisher, utcnow())
    assert notice.number == "新乡市市场监督管理局食品安全抽检信息公告 2026年第1期"
    assert (
        notice.pdf.startswith(b"%PDF") and notice.sha256 == hashlib.sha256(notice.pdf).hexdigest()
    )
    assert passed.status == failed.status == SampleStatus.PUBLISHED
    assert passed.events[-1].action == "published"
    assert publishing.publishable_samples(publishing.NoticeFilters()) == []
    second = make_tested_sample()[0]
    assert publishing.publish_notice([second], DRAFT, publisher, utcnow()).issue == 2


def test_a_crash_midway_leaves_nothing_and_can_be_run_again(ctx, monkeypatch):
    sample, *_ = make_tested_sample()
    publisher = make_user(Role.PUBLISHER)
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(publishing, "render_notice", broken)
    with pytest.raises(RuntimeError):
        publishing.publish_notice([sample], DRAFT, publisher, utcnow())
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
    assert db.session.get(type(sample), sample.id).status == SampleStatus.VERIFIED
    monkeypatch.undo()
    notice = publishing.publish_notice([sample], DRAFT, publisher, utcnow())
    assert notice.issue == 1


def test_only_verified_unpublished_samples_are_published(ctx):
    sample, report, *_ = make_tested_sample(verify=False)
    publisher = make_user(Role.PUBLISHER)
    with pytest.raises(NotAllowed):
        publishing.publish_notice([sample], DRAFT, publisher, utcnow())
    with pytest.raises(DomainError, match="至少选择一个"):
        publishing.publish_notice([], DRAFT, publisher, utcnow())


def test_a_correction_supersedes_and_both_stay(ctx):
    sample, *_ = make_tested_sample()
    publisher = make_user(Role.PUBLISHER)
    original = publishing.publish_notice([sample], DRAFT, publisher, utcnow())
    correction = publishing.publish_notice(
        [sample], DRAFT, publisher, utcnow(), supersedes=original
    )
    assert original.status == NoticeStatus.SUPERSEDED and correction.supersedes_id == original.id
    assert {n.id for n in publishing.notices()} == {original.id, correction.id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeEntry)) == 2
    assert original.pdf != correction.pdf


def test_verification_by_file_or_hash(ctx):
    sample, *_ = make_tested_sample()
    notice = publishing.publish_notice([sample], DRAFT, make_user(Role.PUBLISHER), utcnow())
    assert publishing.find_notice(pdf=notice.pdf) == notice
    assert publishing.find_notice(sha256=notice.sha256.upper()) == notice
    assert publishing.find_notice(pdf=notice.pdf + b"%tampered") is None
    with pytest.raises(DomainError, match="64 位十六进制"):
        publishing.find_notice(sha256="not-a-hash")


def test_results_are_public_only_once_published(ctx):
    sample, *_ = make_tested_sample(fail="腐霉利")
    assert publishing.published_report(sample) is None
    publishing.publish_notice([sample], DRAFT, make_user(Role.PUBLISHER), utcnow())
    report, notice = publishing.published_report(sample)
    assert not report.passed and notice.issue == 1


def test_the_search_reads_its_own_index_and_caps_the_count(ctx, monkeypatch):
    passed, *_ = make_tested_sample()
    failed, *_ = make_tested_sample(fail="腐霉利")
    publishing.publish_notice([passed, failed], DRAFT, make_user(Role.PUBLISHER), utcnow())
    found = publishing.search_published(publishing.SearchFilters(verdict="fail"))
    assert [sample.id for sample, _report in found.items] == [failed.id]
    assert found.total == 1 and not found.capped
    vegetables = publishing.search_published(publishing.SearchFilters(category="33"))
    assert vegetables.total == 2  # 3302 vegetables are in 33
    assert publishing.search_published(publishing.SearchFilters(text="韭菜")).total == 2
    monkeypatch.setattr(publishing, "COUNT_CAP", 1)
    capped = publishing.search_published(publishing.SearchFilters())
    assert capped.capped and capped.total == 1 and len(capped.items) == 2
