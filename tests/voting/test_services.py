"""Ballot rules, rounds and ranking, without HTTP."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.voting import services as voting
from app.voting.models import Ballot, BallotPick, CandidateKind, RoundStatus
from tests.conftest import count_rows
from tests.factories import ids, make_resident, make_round, rules

FOOD, VENUE, VTYPE, GROUP = (
    CandidateKind.FOOD,
    CandidateKind.VENUE,
    CandidateKind.VENUE_TYPE,
    CandidateKind.TEST_GROUP,
)


def test_ballot_within_limits_is_stored(ctx, now):
    round_ = make_round()
    resident = make_resident()
    picks = (
        ids(round_, FOOD, 3) + ids(round_, VENUE, 1) + ids(round_, VTYPE, 1) + ids(round_, GROUP, 1)
    )
    receipt = voting.submit_ballot(round_.id, resident.id, picks, now)
    ballot = db.session.get(Ballot, receipt.ballot_id)
    assert sorted(p.candidate_id for p in ballot.picks) == sorted(picks)
    assert ballot.version == receipt.version == 1


@pytest.mark.parametrize(
    ("foods", "venues", "groups", "message"),
    [
        (4, 0, 0, "食品最多可选 3 种"),
        (0, 1, 0, "请至少选择一种食品"),
        (1, 3, 0, "场所最多可选 2 个"),
        (1, 0, 2, "检测项目最多可选 1 类"),
    ],
)
def test_limits_are_enforced_and_nothing_stored(ctx, now, foods, venues, groups, message):
    round_ = make_round()
    resident = make_resident()
    venue_ids = (ids(round_, VENUE) + ids(round_, VTYPE))[:venues]
    picks = ids(round_, FOOD, foods) + venue_ids + ids(round_, GROUP, groups)
    with pytest.raises(DomainError, match=message):
        voting.submit_ballot(round_.id, resident.id, picks, now)
    db.session.rollback()
    assert count_rows(Ballot) == 0


def test_over_long_pick_list_is_refused(ctx, now):
    round_ = make_round()
    with pytest.raises(DomainError, match="选择的项目过多"):
        voting.submit_ballot(round_.id, make_resident().id, list(range(1, 500)), now)


def test_duplicate_pick_is_refused(ctx, now):
    round_ = make_round()
    food = ids(round_, FOOD, 1)
    with pytest.raises(DomainError, match="不能重复"):
        voting.submit_ballot(round_.id, make_resident().id, food + food, now)


def test_unknown_and_foreign_candidates_are_refused(ctx, now):
    round_ = make_round()
    other = make_round()
    resident = make_resident()
    with pytest.raises(DomainError, match="不属于本轮投票"):
        voting.submit_ballot(round_.id, resident.id, ids(round_, FOOD, 1) + [987654], now)
    with pytest.raises(DomainError, match="不属于本轮投票"):
        voting.submit_ballot(round_.id, resident.id, ids(other, FOOD, 1), now)
    db.session.rollback()
    assert count_rows(Ballot) == 0


def test_forged_round_id_is_not_found(ctx, now):
    with pytest.raises(NotFound):
        voting.submit_ballot(424242, make_resident().id, [1], now)


def test_draft_round_refuses_ballots(ctx, now):
    round_ = make_round(publish=False)
    with pytest.raises(NotFound):  # drafts are invisible to residents
        voting.submit_ballot(round_.id, make_resident().id, ids(round_, FOOD, 1), now)


def test_upcoming_and_closed_rounds_refuse_ballots(ctx, now):
    upcoming = make_round(opens_at=now + timedelta(hours=2), closes_at=now + timedelta(days=2))
    with pytest.raises(NotAllowed, match="尚未开始"):
        voting.submit_ballot(upcoming.id, make_resident().id, ids(upcoming, FOOD, 1), now)
    running = make_round()
    voting.close_round(running, now)
    with pytest.raises(NotAllowed, match="已结束"):
        voting.submit_ballot(running.id, make_resident().id, ids(running, FOOD, 1), now)


def test_round_past_its_close_time_refuses_ballots_before_the_scheduler_closes_it(ctx, now):
    round_ = make_round(closes_at=now + timedelta(minutes=5))
    assert round_.status == RoundStatus.OPEN
    later = now + timedelta(minutes=6)
    with pytest.raises(NotAllowed, match="已结束"):
        voting.submit_ballot(round_.id, make_resident().id, ids(round_, FOOD, 1), later)


def test_changed_ballot_counts_once_and_the_last_version_wins(ctx, now):
    round_ = make_round()
    resident = make_resident()
    first, second = ids(round_, FOOD, 2), ids(round_, FOOD)[2:4]
    voting.submit_ballot(round_.id, resident.id, first, now)
    receipt = voting.submit_ballot(round_.id, resident.id, second, now + timedelta(minutes=1))
    db.session.commit()
    assert receipt.version == 2
    assert count_rows(Ballot) == 1
    ranking = {row.candidate.id: row.votes for row in voting.tally(round_)[FOOD]}
    assert [ranking[i] for i in first] == [0, 0]
    assert [ranking[i] for i in second] == [1, 1]
    assert count_rows(BallotPick) == 2


def test_ranking_orders_by_votes_and_shares_ranks_on_ties(ctx, now):
    round_ = make_round()
    foods = ids(round_, FOOD)
    for picks in ([foods[2]], [foods[2], foods[1]], [foods[1]], [foods[0]]):
        voting.submit_ballot(round_.id, make_resident().id, picks, now)
    rows = voting.tally(round_)[FOOD]
    assert [(row.candidate.id, row.votes, row.rank) for row in rows[:3]] == [
        (foods[1], 2, 1),
        (foods[2], 2, 1),
        (foods[0], 1, 3),
    ]
    assert voting.ballot_count(round_) == 4


def test_hidden_counts_show_only_after_close(ctx, now):
    round_ = make_round(hide_counts=True)
    assert not voting.counts_visible(round_, now)
    voting.close_round(round_, now)
    assert voting.counts_visible(round_, now)


def test_rules_freeze_when_the_round_opens(ctx, now):
    round_ = make_round()
    with pytest.raises(NotAllowed, match="规则已冻结"):
        voting.update_round(round_, rules(title="改名"))
    with pytest.raises(NotAllowed, match="规则已冻结"):
        voting.add_food_candidate(round_, "黄瓜", "3302")
    with pytest.raises(NotAllowed, match="规则已冻结"):
        voting.remove_candidate(round_, ids(round_, FOOD, 1)[0])
    with pytest.raises(NotAllowed, match="规则已冻结"):
        voting.set_quota(round_, "supermarket", 2)


def test_opening_twice_is_refused(ctx, now):
    round_ = make_round(publish=False)
    voting.open_round(round_, now)
    with pytest.raises(NotAllowed):
        voting.open_round(round_, now)


def test_round_without_foods_cannot_open(ctx, now):
    round_ = make_round(publish=False, foods=0)
    with pytest.raises(DomainError, match="至少添加一种候选食品"):
        voting.open_round(round_, now)


def test_round_rules_are_checked(ctx, now):
    with pytest.raises(DomainError, match="截止时间必须晚于开始时间"):
        voting.create_round(rules(opens_at=now, closes_at=now - timedelta(hours=1)), None)
    round_ = make_round(publish=False, batch_budget=10)
    voting.set_quota(round_, "supermarket", 6)
    with pytest.raises(DomainError, match="配额之和不能超过批次预算"):
        voting.set_quota(round_, "farmers_market", 5)


def test_food_candidate_carries_its_default_test_items(ctx):
    round_ = make_round(publish=False, foods=0)
    leek = voting.add_food_candidate(round_, "韭菜", "3302")
    names = [item.name for item in leek.test_items]
    # Its own items first, then those set for every vegetable.
    assert names[:2] == ["腐霉利", "甲拌磷"]
    assert "克百威" in names and "噻虫胺" not in names
    egg = voting.add_food_candidate(round_, "鸡蛋", "3305")
    assert {item.name for item in egg.test_items} == {
        "氟苯尼考",
        "恩诺沙星(以恩诺沙星与环丙沙星之和计)",
    }


def test_duplicate_candidate_is_refused(ctx):
    round_ = make_round(publish=False, foods=1)
    with pytest.raises(DomainError, match="已在候选列表中"):
        voting.add_food_candidate(round_, "韭菜", "3302")


def test_suggestions_are_limited_and_normalised(ctx, now, app):
    round_ = make_round()
    resident = make_resident()
    suggestion = voting.add_suggestion(round_.id, resident, "  请检测\n  东关市场的韭菜 ", now)
    assert suggestion.text == "请检测 东关市场的韭菜"
    with pytest.raises(DomainError, match="不能超过"):
        voting.add_suggestion(round_.id, resident, "长" * 301, now)
    for n in range(4):
        voting.add_suggestion(round_.id, resident, f"建议{n}", now)
    with pytest.raises(DomainError, match="最多提交 5 条"):
        voting.add_suggestion(round_.id, resident, "再来一条", now)


def test_public_rounds_are_grouped_by_phase(ctx, now):
    voting_now = make_round()
    upcoming = make_round(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=3))
    closed = make_round()
    voting.close_round(closed, now)
    make_round(publish=False)
    phases = voting.public_rounds(now + timedelta(seconds=1))
    assert [r.id for r in phases["voting"]] == [voting_now.id]
    assert [r.id for r in phases["upcoming"]] == [upcoming.id]
    assert [r.id for r in phases["closed"]] == [closed.id]


def test_the_database_refuses_a_second_ballot_for_one_resident(ctx, now):
    round_ = make_round()
    resident = make_resident()
    db.session.add(
        Ballot(round_id=round_.id, resident_id=resident.id, created_at=now, updated_at=now)
    )
    db.session.flush()
    db.session.add(
        Ballot(round_id=round_.id, resident_id=resident.id, created_at=now, updated_at=now)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_a_foods_own_limit_replaces_the_category_wide_one(ctx):
    round_ = make_round(publish=False, foods=0)
    celery = voting.add_food_candidate(round_, "芹菜", "3302")
    names = [item.name for item in celery.test_items]
    assert names.count("毒死蜱") == 1
    assert celery.test_items[0].standard == "GB 2763-2021"  # 芹菜's own row, not the 2019 one


def test_a_ballot_after_closing_is_refused_even_with_the_rules_cached(ctx, now):
    round_ = make_round()
    voting.submit_ballot(round_.id, make_resident().id, ids(round_, FOOD, 1), now)
    assert round_.id in voting._FROZEN_RULES
    voting.close_round(round_, now)
    with pytest.raises(NotAllowed, match="已结束"):
        voting.submit_ballot(round_.id, make_resident().id, ids(round_, FOOD, 1), now)


def test_a_stale_copy_of_the_rules_is_never_trusted(ctx, now):
    round_ = make_round()
    stale = voting.FrozenRules(
        round_id=round_.id,
        opened_at=round_.opened_at - timedelta(days=1),  # another round that had this id
        max_foods=9,
        max_venues=9,
        max_test_groups=9,
        kinds={424242: FOOD},
    )
    voting._FROZEN_RULES[round_.id] = stale
    receipt = voting.submit_ballot(round_.id, make_resident().id, ids(round_, FOOD, 2), now)
    assert receipt.version == 1 and voting._FROZEN_RULES[round_.id] != stale
    voting._FROZEN_RULES[round_.id] = stale
    with pytest.raises(DomainError, match="不属于本轮投票"):
        voting.submit_ballot(round_.id, make_resident().id, [424242], now)
