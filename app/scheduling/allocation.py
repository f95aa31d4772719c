"""Turning a closed round's votes into a sampling plan: a pure function, same input, same plan.

The rules, in order:
1. Foods are ranked by votes; ties go to the food the planner listed first (candidate
   position), then to the lower candidate id. The top N foods are chosen.
2. The batch budget is shared among the chosen foods: one batch each, and the rest in
   proportion to their votes by the largest-remainder method (ties: the better-ranked food).
3. Every venue-type quota is met exactly; batches beyond the quotas go to venue types without
   a quota. A food is sampled only at venue types that sell it.
4. A venue takes at most `cap_per_venue` batches, and a food at most once. A venue+food pair
   sampled in the last `recent_days` days is skipped unless its last result failed: such
   follow-ups come first of all.
5. Then venues residents voted for (most votes first); then the district with the fewest
   batches so far, so no district with an eligible venue is left out before another gets a
   second; then the venue type (quota) with the most room left; then the venue type residents
   voted for most; then the lower venue id. Foods take turns by rank, so the top food does not
   take every voted venue. "Recent" means fewer than `recent_days` days ago.
6. When those preferences leave batches unplaced, earlier choices are rearranged (augmenting
   paths of a max-flow) until the plan is complete; if no arrangement exists the plan is
   refused with the reason, never silently cut short.
"""

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from fractions import Fraction


class VenueRule(Enum):
    FOLLOW_UP = "follow_up"  # the pair's last result failed
    VOTED_VENUE = "voted_venue"  # residents voted for the venue
    DISTRICT_SPREAD = "district_spread"  # the least-covered district with an eligible venue
    REARRANGED = "rearranged"  # moved to complete the plan within quotas and caps


@dataclass(frozen=True)
class FoodChoice:
    candidate_id: int
    name: str
    category_code: str
    votes: int
    position: int


@dataclass(frozen=True)
class VenueChoice:
    venue_id: int
    district_code: str
    venue_type_key: str
    votes: int = 0


@dataclass(frozen=True)
class PastSample:
    """The last time a food was sampled at a venue, and whether that result failed."""

    sampled_on: date
    failed: bool = False


@dataclass(frozen=True)
class AllocationInput:
    foods: tuple[FoodChoice, ...]
    venues: tuple[VenueChoice, ...]
    budget: int
    top_foods: int
    quotas: dict[str, int]
    # (food category code, venue type key) pairs: where each category is on sale.
    sold_at: frozenset[tuple[str, str]]
    venue_type_votes: dict[str, int] = field(default_factory=dict)
    cap_per_venue: int = 2
    recent_days: int = 90
    today: date = date(2026, 1, 1)
    # (venue id, food name) -> the last sampling of that food there.
    history: dict[tuple[int, str], PastSample] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedFood:
    food: FoodChoice
    rank: int
    batches: int


@dataclass(frozen=True)
class PlannedTask:
    food: FoodChoice
    food_rank: int
    venue: VenueChoice
    rule: VenueRule


@dataclass(frozen=True)
class Allocation:
    foods: tuple[RankedFood, ...]
    tasks: tuple[PlannedTask, ...]

    def batches_per_type(self) -> Counter:
        return Counter(task.venue.venue_type_key for task in self.tasks)


class AllocationError(Exception):
    """The venues cannot take the budget under the round's rules; the message says why.

    `placed` is set when the venues ran out: that many of the budget's batches fit.
    """

    def __init__(self, message: str, placed: int | None = None) -> None:
        super().__init__(message)
        self.placed = placed


def rank_foods(foods: tuple[FoodChoice, ...]) -> list[FoodChoice]:
    return sorted(foods, key=lambda food: (-food.votes, food.position, food.candidate_id))


def share_batches(votes: list[int], budget: int) -> list[int]:
    """One batch each, the rest by largest remainder on votes; ties to the earlier entry."""
    count = len(votes)
    if count == 0 or budget < count:
        raise AllocationError(f"a budget of {budget} cannot give {count} foods a batch each")
    rest = budget - count
    total = sum(votes)
    weights = votes if total else [1] * count
    total = sum(weights)
    exact = [Fraction(rest * weight, total) for weight in weights]
    shares = [int(value) for value in exact]
    leftover = rest - sum(shares)
    by_remainder = sorted(range(count), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return [share + 1 for share in shares]


def _category_sold_at(category: str, venue_type: str, sold_at: frozenset) -> bool:
    # A sub-category inherits its parent's venue types (e.g. 3302 vegetables from 33).
    return (category, venue_type) in sold_at or (category[:2], venue_type) in sold_at


class _Flow:
    """A small max-flow network (BFS augmenting paths) used to complete a partial plan."""

    def __init__(self) -> None:
        self.capacity: dict[tuple[str, str], int] = defaultdict(int)
        self.neighbours: dict[str, list[str]] = defaultdict(list)

    def add(self, start: str, end: str, capacity: int) -> None:
        if (start, end) not in self.capacity and (end, start) not in self.capacity:
            self.neighbours[start].append(end)
            self.neighbours[end].append(start)
        self.capacity[(start, end)] += capacity

    def push(self, path: list[str]) -> None:
        for start, end in zip(path, path[1:], strict=False):
            self.capacity[(start, end)] -= 1
            self.capacity[(end, start)] += 1

    def augmenting_path(self, source: str, sink: str) -> list[str] | None:
        previous = {source: source}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for nxt in self.neighbours[node]:  # insertion order: deterministic
                if nxt not in previous and self.capacity[(node, nxt)] > 0:
                    previous[nxt] = node
                    if nxt == sink:
                        path = [sink]
                        while path[-1] != source:
                            path.append(previous[path[-1]])
                        return path[::-1]
                    queue.append(nxt)
        return None


def allocate_batches(data: AllocationInput) -> Allocation:
    """The sampling plan for a closed round; raises AllocationError when it cannot be made."""
    quota_total = sum(data.quotas.values())
    if quota_total > data.budget:
        raise AllocationError(f"quotas ({quota_total}) exceed the budget ({data.budget})")
    ranked = rank_foods(data.foods)[: data.top_foods]
    if not ranked:
        raise AllocationError("the round has no foods")
    shares = share_batches([food.votes for food in ranked], data.budget)
    chosen = tuple(
        RankedFood(food, rank, n)
        for rank, (food, n) in enumerate(zip(ranked, shares, strict=True), 1)
    )

    free_types = {venue.venue_type_key for venue in data.venues} - set(data.quotas)
    capacity_of = dict(data.quotas)
    free_capacity = data.budget - quota_total

    def pool(venue: VenueChoice) -> str:
        return venue.venue_type_key if venue.venue_type_key in data.quotas else "*free*"

    def follow_up_or_none(food: FoodChoice, venue: VenueChoice) -> bool | None:
        """None when the venue may not take the food; else whether it is a follow-up."""
        if not _category_sold_at(food.category_code, venue.venue_type_key, data.sold_at):
            return None
        if venue.venue_type_key not in data.quotas and venue.venue_type_key not in free_types:
            return None
        past = data.history.get((venue.venue_id, food.name))
        if past is None:
            return False
        if past.failed:
            return True
        recent = data.today - past.sampled_on < timedelta(days=data.recent_days)
        return None if recent else False

    venues = sorted(data.venues, key=lambda venue: venue.venue_id)
    options: dict[int, list[tuple[VenueChoice, bool]]] = {}
    for item in chosen:
        options[item.food.candidate_id] = [
            (venue, follow_up)
            for venue in venues
            if (follow_up := follow_up_or_none(item.food, venue)) is not None
        ]

    used_per_venue: Counter = Counter()
    used_pairs: set[tuple[int, int]] = set()
    pool_used: Counter = Counter()
    per_district: Counter = Counter()
    placed: list[PlannedTask] = []

    def pool_room(venue: VenueChoice) -> int:
        name = pool(venue)
        limit = free_capacity if name == "*free*" else capacity_of[name]
        return limit - pool_used[name]

    # Round-robin over the foods by rank, so the best venues are shared, not taken by the top food.
    demand = {item.food.candidate_id: item.batches for item in chosen}
    order = [item for item in chosen]
    progressing = True
    while progressing and any(demand.values()):
        progressing = False
        for item in order:
            food = item.food
            if not demand[food.candidate_id]:
                continue
            best = None
            best_key = None
            for venue, follow_up in options[food.candidate_id]:
                if (food.candidate_id, venue.venue_id) in used_pairs:
                    continue
                if used_per_venue[venue.venue_id] >= data.cap_per_venue or pool_room(venue) <= 0:
                    continue
                key = (
                    not follow_up,
                    -venue.votes,
                    per_district[venue.district_code],
                    -pool_room(venue),
                    -data.venue_type_votes.get(venue.venue_type_key, 0),
                    venue.venue_id,
                )
                if best_key is None or key < best_key:
                    best, best_key = (venue, follow_up), key
            if best is None:
                continue
            venue, follow_up = best
            rule = (
                VenueRule.FOLLOW_UP
                if follow_up
                else VenueRule.VOTED_VENUE
                if venue.votes > 0
                else VenueRule.DISTRICT_SPREAD
            )
            placed.append(PlannedTask(food, item.rank, venue, rule))
            used_pairs.add((food.candidate_id, venue.venue_id))
            used_per_venue[venue.venue_id] += 1
            pool_used[pool(venue)] += 1
            per_district[venue.district_code] += 1
            demand[food.candidate_id] -= 1
            progressing = True

    if any(demand.values()):
        placed = _complete_with_max_flow(
            data, chosen, options, placed, pool, capacity_of, free_capacity
        )
    return Allocation(chosen, tuple(placed))


def _complete_with_max_flow(data, chosen, options, placed, pool, capacity_of, free_capacity):
    """Rearrange the greedy plan along augmenting paths until every batch is placed."""
    flow = _Flow()
    source, sink = "source", "sink"
    rank_of = {item.food.candidate_id: item for item in chosen}
    venue_by_id = {}
    for item in chosen:
        flow.add(source, f"f{item.food.candidate_id}", item.batches)
        for venue, _follow_up in options[item.food.candidate_id]:
            venue_by_id[venue.venue_id] = venue
            flow.add(f"f{item.food.candidate_id}", f"v{venue.venue_id}", 1)
    pools = set()
    for venue in sorted(venue_by_id.values(), key=lambda v: v.venue_id):
        flow.add(f"v{venue.venue_id}", f"p{pool(venue)}", data.cap_per_venue)
        pools.add(pool(venue))
    for name in sorted(pools):
        flow.add(f"p{name}", sink, free_capacity if name == "*free*" else capacity_of[name])
    kept = {}
    for task in placed:
        flow.push(
            [
                source,
                f"f{task.food.candidate_id}",
                f"v{task.venue.venue_id}",
                f"p{pool(task.venue)}",
                sink,
            ]
        )
        kept[(task.food.candidate_id, task.venue.venue_id)] = task
    missing = data.budget - len(placed)
    while missing:
        path = flow.augmenting_path(source, sink)
        if path is None:
            short = {item.food.name: item.batches for item in chosen}
            raise AllocationError(
                placed=data.budget - missing,
                message=f"the venues can take only {data.budget - missing} of {data.budget} batches"
                f" under the quotas, the cap of {data.cap_per_venue} per venue and the"
                f" venue types that sell each food ({short})",
            )
        flow.push(path)
        missing -= 1
    tasks = []
    for item in chosen:
        node = f"f{item.food.candidate_id}"
        for venue, _follow_up in options[item.food.candidate_id]:
            if flow.capacity[(f"v{venue.venue_id}", node)] > 0:  # one unit went through
                task = kept.get((item.food.candidate_id, venue.venue_id))
                tasks.append(
                    task
                    or PlannedTask(
                        item.food, rank_of[item.food.candidate_id].rank, venue, VenueRule.REARRANGED
                    )
                )
    return tasks
