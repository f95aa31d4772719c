"""Two first ballots of one resident at the same moment, over two real PostgreSQL connections."""

import os
import threading
import time

import pytest
import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.voting import services as voting
from app.voting.models import Ballot, BallotPick, CandidateKind, Round
from tests.factories import ids, make_resident, make_round

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: .ci/run runs the suite again with DATABASE_URL set",
    ),
]


def _submit(app, round_id, resident_id, picks, *, after_flush=None, errors):
    try:
        with app.app_context():
            round_ = db.session.get(Round, round_id)
            voting.submit_ballot(round_.id, resident_id, picks, utcnow())
            if after_flush:
                after_flush()
            db.session.commit()
    except Exception as error:  # surfaced by the test's assertion on `errors`
        errors.append(error)


def test_racing_first_ballots_make_exactly_one_ballot(app):
    with app.app_context():
        round_ = make_round()
        resident = make_resident()
        db.session.commit()
        round_id, resident_id = round_.id, resident.id
        foods = ids(round_, CandidateKind.FOOD)
    flushed, go, errors = threading.Event(), threading.Event(), []

    def hold_transaction_open():
        flushed.set()
        assert go.wait(10)

    first = threading.Thread(
        target=_submit,
        args=(app, round_id, resident_id, foods[:1]),
        kwargs={"after_flush": hold_transaction_open, "errors": errors},
    )
    second = threading.Thread(
        target=_submit, args=(app, round_id, resident_id, foods[1:3]), kwargs={"errors": errors}
    )
    first.start()
    assert flushed.wait(10)
    # The second INSERT now waits on the first one's uncommitted row in the UNIQUE index.
    second.start()
    time.sleep(0.5)
    assert second.is_alive()
    go.set()
    first.join(10)
    second.join(10)
    assert errors == []
    with app.app_context():
        ballots = db.session.scalars(sa.select(Ballot)).all()
        assert len(ballots) == 1
        assert ballots[0].version == 2
        picks = db.session.scalars(sa.select(BallotPick.candidate_id)).all()
        assert sorted(picks) == sorted(foods[1:3])


def test_many_residents_racing_in_pairs(app):
    with app.app_context():
        round_ = make_round()
        residents = [make_resident().id for _ in range(10)]
        db.session.commit()
        round_id = round_.id
        foods = ids(round_, CandidateKind.FOOD)
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def vote(resident_id, picks):
        barrier.wait(10)
        _submit(app, round_id, resident_id, picks, errors=errors)

    for resident_id in residents:
        threads = [
            threading.Thread(target=vote, args=(resident_id, foods[:1])),
            threading.Thread(target=vote, args=(resident_id, foods[1:2])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert errors == []
    with app.app_context():
        per_resident = db.session.execute(
            sa.select(Ballot.resident_id, sa.func.count()).group_by(Ballot.resident_id)
        ).all()
        assert sorted(per_resident) == [(r, 1) for r in sorted(residents)]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BallotPick)) == 10
