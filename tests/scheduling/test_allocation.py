"""allocate_batches: property tests over random rounds, and hand-made cases for each rule.

The property tests check every generated round two ways: a returned plan must keep every rule
(budget, quotas, caps, pairs, shares, venue types, recent samples, determinism), and a refusal
must be a real one, confirmed by an independent max-flow over the same constraints.
"""

import random
from collections import Counter, defaultdict, deque
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scheduling.allocation import (
    AllocationError,
    AllocationInput,
    FoodChoice,
    PastSample,
    VenueChoice,
    VenueRule,
    allocate_batches,
    rank_foods,
    share_batches,
)

TODAY = date(2026, 3, 15)
CATEGORIES = ("01", "3302", "3305", "24", "31")
# What sold_at may name: the categories themselves and the parent "33" of 3302 and 3305.
SOLD_AT_CODES = ("01", "33", "3302", "3305", "24", "31")
DISTRICTS = ("d1", "d2", "d3", "d4", "d5")
VENUE_TYPES = ("market", "supermarket", "restaurant", "canteen", "street")


# --- an independent model of the rules ------------------------------------------------------


def sells(category: str, venue_type: str, sold_at: frozenset) -> bool:
    return (category, venue_type) in sold_at or (category[:2], venue_type) in sold_at


def recently_passed(data: AllocationInput, venue: VenueChoice, food: FoodChoice) -> bool:
    """A passed sample taken fewer than recent_days days ago (exactly recent_days is not)."""
    past = data.history.get((venue.venue_id, food.name))
    if past is None or past.failed:
        return False
    return (data.today - past.sampled_on).days < data.recent_days


def eligible(data: AllocationInput, food: FoodChoice, venue: VenueChoice) -> bool:
    return sells(food.category_code, venue.venue_type_key, data.sold_at) and not recently_passed(
        data, venue, food
    )


def expected_ranking(data: AllocationInput) -> list[FoodChoice]:
    ranked = sorted(data.foods, key=lambda f: (-f.votes, f.position, f.candidate_id))
    return ranked[: data.top_foods]


def max_flow(edges: list[tuple[str, str, int]], source: str, sink: str) -> int:
    """Edmonds-Karp on an adjacency dict; written apart from the module under test."""
    residual: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for start, end, capacity in edges:
        residual[start][end] += capacity
        residual[end][start] += 0
    total = 0
    while True:
        parent = {source: None}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for nxt, capacity in residual[node].items():
                if capacity > 0 and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return total
        bottleneck, node = None, sink
        while parent[node] is not None:
            capacity = residual[parent[node]][node]
            bottleneck = capacity if bottleneck is None else min(bottleneck, capacity)
            node = parent[node]
        node = sink
        while parent[node] is not None:
            residual[parent[node]][node] -= bottleneck
            residual[node][parent[node]] += bottleneck
            node = parent[node]
        total += bottleneck


def most_batches_placeable(data: AllocationInput) -> int:
    """How many of the budget's batches any plan could place; the budget when feasible."""
    quota_total = sum(data.quotas.values())
    if quota_total > data.budget:
        return -1
    ranked = expected_ranking(data)
    if not ranked or data.budget < len(ranked):
        return -1
    shares = share_batches([food.votes for food in ranked], data.budget)
    edges = []
    for food, share in zip(ranked, shares, strict=True):
        edges.append(("S", f"food:{food.candidate_id}", share))
        for venue in data.venues:
            if eligible(data, food, venue):
                edges.append((f"food:{food.candidate_id}", f"venue:{venue.venue_id}", 1))
    for venue in data.venues:
        pool = venue.venue_type_key if venue.venue_type_key in data.quotas else "free"
        edges.append((f"venue:{venue.venue_id}", f"pool:{pool}", data.cap_per_venue))
    for venue_type, quota in data.quotas.items():
        edges.append((f"pool:{venue_type}", "T", quota))
    edges.append(("pool:free", "T", data.budget - quota_total))
    return max_flow(edges, "S", "T")


# --- random rounds -------------------------------------------------------------------------


@st.composite
def rounds(draw) -> AllocationInput:
    food_count = draw(st.integers(1, 12))
    positions = draw(st.permutations(range(1, food_count + 1)))
    food_ids = draw(
        st.lists(st.integers(1, 500), min_size=food_count, max_size=food_count, unique=True)
    )
    # Few distinct vote counts, so ties in the ranking and in the remainders are common.
    vote = st.one_of(st.integers(0, 200), st.sampled_from([0, 5, 10, 50]))
    foods = tuple(
        FoodChoice(
            candidate_id=food_ids[i],
            name=f"food-{food_ids[i]}",
            category_code=draw(st.sampled_from(CATEGORIES)),
            votes=draw(vote),
            position=positions[i],
        )
        for i in range(food_count)
    )
    venue_count = draw(st.sampled_from([30, 40, 60, 25, 50, 15, 8, 5, 3, 2, 0]))
    # Consecutive ids in a random order: few draws per venue keep large rounds affordable.
    venue_ids = list(range(1, venue_count + 1))
    draw(st.randoms(use_true_random=False)).shuffle(venue_ids)
    venues = tuple(
        VenueChoice(
            venue_id=venue_id,
            district_code=draw(st.sampled_from(DISTRICTS)),
            venue_type_key=draw(st.sampled_from(VENUE_TYPES)),
            votes=draw(st.one_of(st.just(0), st.integers(0, 8))),
        )
        for venue_id in venue_ids
    )
    top_foods = draw(st.integers(1, 12))
    cap_per_venue = draw(st.integers(1, 3))
    budget = draw(st.integers(1, 60))
    if draw(st.integers(0, 2)):  # mostly a budget the venues could take, sometimes any
        budget = min(budget, max(1, venue_count * cap_per_venue // 2))
    if draw(st.integers(0, 9)):  # mostly at least a batch per chosen food, sometimes not
        budget = max(budget, min(top_foods, food_count))
    quota_types = draw(st.lists(st.sampled_from(VENUE_TYPES), max_size=3, unique=True))
    quotas, room = {}, budget
    for venue_type in quota_types:
        quotas[venue_type] = draw(st.integers(0, room // 2))
        room -= quotas[venue_type]
    if quotas and not draw(st.integers(0, 14)):  # now and then, quotas beyond the budget
        quotas[quota_types[0]] += room + draw(st.integers(0, 3))
    pairs = [(code, venue_type) for code in SOLD_AT_CODES for venue_type in VENUE_TYPES]
    sold_at = frozenset(pair for pair in pairs if draw(st.integers(0, 9)) < 7)
    venue_type_votes = draw(st.dictionaries(st.sampled_from(VENUE_TYPES), st.integers(0, 20)))
    recent_days = draw(st.sampled_from([30, 90, 180]))
    history = {}
    if venues:
        keys = st.tuples(
            st.sampled_from([v.venue_id for v in venues]), st.sampled_from([f.name for f in foods])
        )
        for key in draw(st.lists(keys, max_size=40, unique=True)):
            days_ago = draw(st.one_of(st.integers(0, 400), st.just(recent_days)))
            history[key] = PastSample(TODAY - timedelta(days=days_ago), failed=draw(st.booleans()))
    return AllocationInput(
        foods=foods,
        venues=venues,
        budget=budget,
        top_foods=top_foods,
        quotas=quotas,
        sold_at=sold_at,
        venue_type_votes=venue_type_votes,
        cap_per_venue=cap_per_venue,
        recent_days=recent_days,
        today=TODAY,
        history=history,
    )


def shuffled(data: AllocationInput, rnd: random.Random) -> AllocationInput:
    foods, venues = list(data.foods), list(data.venues)
    rnd.shuffle(foods)
    rnd.shuffle(venues)
    quotas = list(data.quotas.items())
    rnd.shuffle(quotas)
    history = list(data.history.items())
    rnd.shuffle(history)
    return AllocationInput(
        foods=tuple(foods),
        venues=tuple(venues),
        budget=data.budget,
        top_foods=data.top_foods,
        quotas=dict(quotas),
        sold_at=data.sold_at,
        venue_type_votes=data.venue_type_votes,
        cap_per_venue=data.cap_per_venue,
        recent_days=data.recent_days,
        today=data.today,
        history=dict(history),
    )


def outcome(data: AllocationInput):
    try:
        return allocate_batches(data)
    except AllocationError as error:
        return error


def check_plan(data: AllocationInput, plan) -> None:
    tasks = plan.tasks
    assert len(tasks) == data.budget

    per_type = plan.batches_per_type()
    for venue_type, quota in data.quotas.items():
        assert per_type[venue_type] == quota, venue_type
    free = sum(n for venue_type, n in per_type.items() if venue_type not in data.quotas)
    assert free == data.budget - sum(data.quotas.values())

    per_venue = Counter(task.venue.venue_id for task in tasks)
    assert max(per_venue.values()) <= data.cap_per_venue
    pairs = [(task.food.candidate_id, task.venue.venue_id) for task in tasks]
    assert len(pairs) == len(set(pairs))

    ranked = expected_ranking(data)
    shares = share_batches([food.votes for food in ranked], data.budget)
    assert [(item.food, item.rank, item.batches) for item in plan.foods] == [
        (food, rank, share)
        for rank, (food, share) in enumerate(zip(ranked, shares, strict=True), 1)
    ]
    assert sum(item.batches for item in plan.foods) == data.budget
    per_food = Counter(task.food.candidate_id for task in tasks)
    for item in plan.foods:
        assert per_food[item.food.candidate_id] == item.batches >= 1
    assert set(per_food) == {item.food.candidate_id for item in plan.foods}
    rank_of = {item.food.candidate_id: item.rank for item in plan.foods}

    venues = set(data.venues)
    for task in tasks:
        assert task.venue in venues
        assert task.food_rank == rank_of[task.food.candidate_id]
        assert sells(task.food.category_code, task.venue.venue_type_key, data.sold_at), task
        assert not recently_passed(data, task.venue, task.food), task
        past = data.history.get((task.venue.venue_id, task.food.name))
        if task.rule is VenueRule.FOLLOW_UP:
            assert past is not None and past.failed
        if task.rule is VenueRule.VOTED_VENUE:
            assert task.venue.votes > 0


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=rounds(), seed=st.integers(0, 2**32 - 1))
def test_every_round_gets_a_valid_plan_or_a_true_refusal(data, seed):
    result = outcome(data)
    possible = most_batches_placeable(data)
    if isinstance(result, AllocationError):
        assert isinstance(str(result), str) and str(result).strip()
        assert possible < data.budget, f"refused a feasible round: {result}"
    else:
        assert possible == data.budget
        check_plan(data, result)

    again = outcome(data)
    assert type(again) is type(result)
    if not isinstance(result, AllocationError):
        assert again == result
    else:
        assert str(again) == str(result)

    other = outcome(shuffled(data, random.Random(seed)))
    assert type(other) is type(result)
    if not isinstance(result, AllocationError):
        assert other == result, "the plan depends on the order of the foods or venues"
    else:
        assert str(other) == str(result)


# --- hand-made rounds ----------------------------------------------------------------------


def food(candidate_id, votes, position=None, category="01", name=None):
    return FoodChoice(
        candidate_id=candidate_id,
        name=name or f"food-{candidate_id}",
        category_code=category,
        votes=votes,
        position=candidate_id if position is None else position,
    )


def venue(venue_id, district="d1", venue_type="market", votes=0):
    return VenueChoice(venue_id, district, venue_type, votes)


def round_of(foods, venues, budget, **kwargs):
    kwargs.setdefault("top_foods", len(foods))
    kwargs.setdefault("quotas", {})
    kwargs.setdefault("sold_at", frozenset({("01", "market")}))
    kwargs.setdefault("cap_per_venue", 1)
    kwargs.setdefault("today", TODAY)
    return AllocationInput(foods=tuple(foods), venues=tuple(venues), budget=budget, **kwargs)


def placements(plan):
    return sorted((t.food.candidate_id, t.venue.venue_id, t.rule) for t in plan.tasks)


class TestShares:
    def test_largest_remainder(self):
        # 7 beyond the first batch each: exact 3.5, 2.1, 1.4; the largest remainder is 0.5.
        assert share_batches([50, 30, 20], 10) == [5, 3, 2]

    def test_tied_remainders_go_to_the_earlier_entry(self):
        assert share_batches([10, 10], 3) == [2, 1]
        assert share_batches([10, 10, 10], 5) == [2, 2, 1]

    def test_zero_votes_share_equally_by_rank(self):
        assert share_batches([0, 0, 0], 7) == [3, 2, 2]
        assert share_batches([0, 0, 0], 3) == [1, 1, 1]

    def test_every_food_gets_a_batch(self):
        assert share_batches([1000, 0, 0], 5) == [3, 1, 1]
        assert share_batches([1000, 1, 1], 3) == [1, 1, 1]

    def test_shares_sum_to_the_budget(self):
        assert sum(share_batches([7, 3, 3, 1], 13)) == 13

    def test_too_small_a_budget_is_refused(self):
        with pytest.raises(AllocationError, match="budget of 2 cannot give 3 foods"):
            share_batches([1, 1, 1], 2)

    def test_tied_votes_give_the_extra_batch_to_the_better_ranked_food(self):
        foods = [food(1, 10, position=2), food(2, 10, position=1)]
        venues = [venue(i) for i in range(1, 4)]
        plan = allocate_batches(round_of(foods, venues, 3, cap_per_venue=2))
        assert [(i.food.candidate_id, i.rank, i.batches) for i in plan.foods] == [
            (2, 1, 2),
            (1, 2, 1),
        ]


class TestRanking:
    def test_votes_then_position_then_candidate_id(self):
        foods = (
            food(5, 10, position=2),
            food(3, 10, position=1),
            food(4, 20, position=9),
            food(2, 10, position=2),
            food(1, 0, position=0),
        )
        assert [f.candidate_id for f in rank_foods(foods)] == [4, 3, 2, 5, 1]

    def test_only_the_top_foods_are_chosen(self):
        foods = [food(1, 5), food(2, 9), food(3, 7)]
        plan = allocate_batches(round_of(foods, [venue(1), venue(2)], 2, top_foods=2))
        assert [(i.food.candidate_id, i.rank) for i in plan.foods] == [(2, 1), (3, 2)]
        assert {t.food.candidate_id for t in plan.tasks} == {2, 3}


class TestVenueChoice:
    def test_voted_venues_come_first_most_votes_first(self):
        venues = [venue(1), venue(2, votes=3), venue(3, votes=5), venue(4)]
        plan = allocate_batches(round_of([food(1, 10)], venues, 2))
        assert placements(plan) == [(1, 2, VenueRule.VOTED_VENUE), (1, 3, VenueRule.VOTED_VENUE)]

    def test_batches_spread_over_districts(self):
        venues = [venue(1, "d1"), venue(2, "d1"), venue(3, "d2"), venue(4, "d3")]
        plan = allocate_batches(round_of([food(1, 10)], venues, 3))
        assert sorted(t.venue.district_code for t in plan.tasks) == ["d1", "d2", "d3"]
        assert {t.rule for t in plan.tasks} == {VenueRule.DISTRICT_SPREAD}

    def test_a_recent_passed_sample_is_skipped_even_at_a_voted_venue(self):
        history = {(1, "rice"): PastSample(TODAY - timedelta(days=10))}
        foods = [food(1, 10, name="rice")]
        venues = [venue(1, votes=9), venue(2)]
        plan = allocate_batches(round_of(foods, venues, 1, history=history))
        assert placements(plan) == [(1, 2, VenueRule.DISTRICT_SPREAD)]
        with pytest.raises(AllocationError):
            allocate_batches(round_of(foods, venues[:1], 1, history=history))

    def test_an_old_passed_sample_is_eligible_again(self):
        foods = [food(1, 10, name="rice")]
        for days in (90, 200):  # 90 days ago is not "in the last 90 days"
            history = {(1, "rice"): PastSample(TODAY - timedelta(days=days))}
            plan = allocate_batches(round_of(foods, [venue(1)], 1, history=history))
            assert placements(plan) == [(1, 1, VenueRule.DISTRICT_SPREAD)]

    def test_the_history_is_per_food(self):
        history = {(1, "noodles"): PastSample(TODAY - timedelta(days=1))}
        plan = allocate_batches(
            round_of([food(1, 10, name="rice")], [venue(1)], 1, history=history)
        )
        assert placements(plan) == [(1, 1, VenueRule.DISTRICT_SPREAD)]

    def test_a_failed_pair_is_followed_up_first_even_if_recent(self):
        history = {(3, "rice"): PastSample(TODAY - timedelta(days=5), failed=True)}
        foods = [food(1, 10, name="rice")]
        venues = [venue(1, votes=9), venue(2, votes=4), venue(3)]
        plan = allocate_batches(round_of(foods, venues, 1, history=history))
        assert placements(plan) == [(1, 3, VenueRule.FOLLOW_UP)]
        plan = allocate_batches(round_of(foods, venues, 2, history=history))
        assert placements(plan) == [(1, 1, VenueRule.VOTED_VENUE), (1, 3, VenueRule.FOLLOW_UP)]

    def test_only_venue_types_that_sell_the_food(self):
        sold_at = frozenset({("33", "market"), ("24", "canteen")})
        foods = [food(1, 10, category="3302"), food(2, 5, category="24")]
        venues = [
            venue(1, venue_type="canteen"),
            venue(2, venue_type="market"),
            venue(3, venue_type="street"),
        ]
        plan = allocate_batches(round_of(foods, venues, 2, sold_at=sold_at))
        assert placements(plan) == [
            (1, 2, VenueRule.DISTRICT_SPREAD),
            (2, 1, VenueRule.DISTRICT_SPREAD),
        ]

    def test_then_the_venue_type_residents_voted_for_most(self):
        sold_at = frozenset({("01", "market"), ("01", "canteen")})
        venues = [venue(1, venue_type="market"), venue(2, venue_type="canteen")]
        plan = allocate_batches(
            round_of(
                [food(1, 10)],
                venues,
                1,
                sold_at=sold_at,
                venue_type_votes={"market": 2, "canteen": 7},
            )
        )
        assert placements(plan) == [(1, 2, VenueRule.DISTRICT_SPREAD)]

    def test_round_robin_shares_the_best_venue(self):
        # Both foods would pick voted venue 1 first; the top food takes it, the second the next.
        foods = [food(1, 10), food(2, 5)]
        venues = [venue(1, votes=5), venue(2, votes=1), venue(3)]
        plan = allocate_batches(round_of(foods, venues, 2))
        assert placements(plan) == [(1, 1, VenueRule.VOTED_VENUE), (2, 2, VenueRule.VOTED_VENUE)]


class TestQuotasAndRearrangement:
    def test_quotas_are_met_exactly(self):
        venues = [
            venue(i, venue_type=t)
            for i, t in enumerate(["market", "market", "canteen", "canteen", "street"], 1)
        ]
        sold_at = frozenset({("01", "market"), ("01", "canteen"), ("01", "street")})
        plan = allocate_batches(
            round_of([food(1, 10)], venues, 4, sold_at=sold_at, quotas={"market": 2, "canteen": 1})
        )
        assert plan.batches_per_type() == Counter({"market": 2, "canteen": 1, "street": 1})

    def test_a_zero_quota_keeps_its_venue_type_out(self):
        sold_at = frozenset({("01", "market"), ("01", "canteen")})
        venues = [venue(1, venue_type="market", votes=5), venue(2, venue_type="canteen")]
        plan = allocate_batches(
            round_of([food(1, 10)], venues, 1, sold_at=sold_at, quotas={"market": 0})
        )
        assert placements(plan) == [(1, 2, VenueRule.DISTRICT_SPREAD)]

    def test_greedy_blocked_by_a_cap_is_rearranged(self):
        # Food 1 (rank 1) greedily takes voted venue 1, the only venue that sells food 2.
        sold_at = frozenset({("01", "market"), ("01", "street"), ("24", "market")})
        foods = [food(1, 10, category="01"), food(2, 5, category="24")]
        venues = [venue(1, venue_type="market", votes=3), venue(2, venue_type="street")]
        plan = allocate_batches(round_of(foods, venues, 2, sold_at=sold_at))
        assert placements(plan) == [(1, 2, VenueRule.REARRANGED), (2, 1, VenueRule.REARRANGED)]

    def test_a_quota_the_greedy_would_miss_is_completed_by_rearrangement(self):
        # Food 1 greedily fills the free pool at voted venue 1; food 2 is sold only there, so
        # food 1 must move to the canteen to meet the canteen quota.
        sold_at = frozenset({("01", "market"), ("01", "canteen"), ("24", "market")})
        foods = [food(1, 10, category="01"), food(2, 5, category="24")]
        venues = [venue(1, venue_type="market", votes=3), venue(2, venue_type="canteen")]
        plan = allocate_batches(
            round_of(foods, venues, 2, sold_at=sold_at, cap_per_venue=2, quotas={"canteen": 1})
        )
        assert placements(plan) == [(1, 2, VenueRule.REARRANGED), (2, 1, VenueRule.REARRANGED)]
        assert plan.batches_per_type() == Counter({"canteen": 1, "market": 1})

    def test_too_few_venues_is_refused_with_the_reason(self):
        venues = [venue(1), venue(2), venue(3, venue_type="street")]
        with pytest.raises(AllocationError, match=r"only 2 of 5 batches") as error:
            allocate_batches(round_of([food(1, 10)], venues, 5))
        assert "cap of 1 per venue" in str(error.value)

    def test_quotas_above_the_budget_are_refused(self):
        with pytest.raises(AllocationError, match=r"quotas \(3\) exceed the budget \(2\)"):
            allocate_batches(round_of([food(1, 1)], [venue(1), venue(2)], 2, quotas={"market": 3}))

    def test_a_quota_with_no_venue_of_its_type_is_refused(self):
        with pytest.raises(AllocationError, match="only 1 of 2"):
            allocate_batches(round_of([food(1, 1)], [venue(1), venue(2)], 2, quotas={"canteen": 1}))

    def test_no_foods_is_refused(self):
        with pytest.raises(AllocationError, match="no foods"):
            allocate_batches(round_of([], [venue(1)], 1, top_foods=3))

    def test_more_foods_than_batches_is_refused(self):
        with pytest.raises(AllocationError, match="budget of 2 cannot give 3 foods"):
            allocate_batches(round_of([food(1, 1), food(2, 1), food(3, 1)], [venue(1)], 2))
