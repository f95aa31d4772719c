"""A closed round with votes, venues to sample and two inspectors."""

import pytest

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.voting import services as voting
from app.voting.models import CandidateKind
from tests.factories import ids, make_resident, make_round, make_user, make_venue


def make_closed_round(budget: int = 6, top_foods: int = 3, votes: int = 12, **overrides):
    """A round of 5 foods with skewed votes, 4 farmers' markets and 2 supermarkets over three
    districts, closed now."""
    venues = [
        make_venue("farmers_market", district)
        for district in ("410702", "410703", "410704", "410702")
    ] + [make_venue("supermarket", district) for district in ("410711", "410703")]
    round_ = make_round(batch_budget=budget, top_foods=top_foods, venues=0, **overrides)
    foods = ids(round_, CandidateKind.FOOD)
    groups = ids(round_, CandidateKind.TEST_GROUP)
    for n in range(votes):
        picks = [foods[0]] + ([foods[1]] if n % 2 == 0 else []) + ([foods[2]] if n % 3 == 0 else [])
        voting.submit_ballot(round_.id, make_resident().id, picks + groups[:1], utcnow())
    voting.close_round(round_, utcnow())
    return round_, venues


@pytest.fixture
def inspectors(ctx):
    return [
        make_user(Role.INSPECTOR, username="inspector-a", district_code="410702"),
        make_user(Role.INSPECTOR, username="inspector-b", district_code="410703"),
        make_user(Role.INSPECTOR, username="inspector-c", district_code="410704"),
    ]


@pytest.fixture
def closed_round(ctx, inspectors):
    round_, venues = make_closed_round()
    db.session.flush()
    return round_
