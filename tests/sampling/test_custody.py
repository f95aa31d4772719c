"""Rows changed behind the app's back: `flask custody verify` reports each one."""

import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import utcnow
from app.extensions import db
from app.sampling import services as sampling
from app.sampling.custody import GENESIS
from app.sampling.models import CustodyEvent
from tests.factories import make_sample, make_user


def _three_event_samples(app, count: int = 3) -> list[int]:
    with app.app_context():
        analyst = make_user(Role.LAB_ANALYST)
        ids = []
        for _ in range(count):
            sample = make_sample()
            sampling.hand_over(sample.portions[0], sample.sampler_a, "冷链车", utcnow())
            sampling.receive(sample.portions[0], analyst, utcnow())
            ids.append(sample.id)
        db.session.commit()
        return ids


def _sql(app, statement: str, **params) -> None:
    with app.app_context():
        db.session.execute(sa.text(statement), params)
        db.session.commit()


def test_an_intact_chain_verifies(app, runner):
    _three_event_samples(app, 1)
    result = runner.invoke(args=["custody", "verify"])
    assert result.exit_code == 0 and "intact" in result.output


def test_edited_deleted_and_inserted_events_are_each_reported(app, runner):
    edited, deleted, inserted = _three_event_samples(app)
    _sql(
        app, "UPDATE custody_events SET note = '改过的' WHERE sample_id = :s AND seq = 2", s=edited
    )
    _sql(app, "DELETE FROM custody_events WHERE sample_id = :s AND seq = 2", s=deleted)
    with app.app_context():
        last = db.session.scalars(
            sa.select(CustodyEvent).where(CustodyEvent.sample_id == inserted, CustodyEvent.seq == 3)
        ).one()
        at = last.at
    _sql(
        app,
        "INSERT INTO custody_events (sample_id, seq, action, from_status, to_status, at, note,"
        " prev_hash, hash) VALUES (:s, 4, 'received', 'received', 'received', :at, '', :p, :h)",
        s=inserted,
        at=at.replace(tzinfo=None),
        p=GENESIS,
        h="f" * 64,
    )
    result = runner.invoke(args=["custody", "verify"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(f"sample {edited} event 2: edited" in line for line in lines), result.output
    assert any(f"sample {deleted} event 3: deleted" in line for line in lines), result.output
    assert any(f"sample {inserted} event 4: inserted" in line for line in lines), result.output


def test_deleting_the_last_event_is_reported(app, runner):
    (sample_id,) = _three_event_samples(app, 1)
    _sql(app, "DELETE FROM custody_events WHERE sample_id = :s AND seq = 3", s=sample_id)
    result = runner.invoke(args=["custody", "verify"])
    assert result.exit_code == 1 and f"sample {sample_id} event 2: deleted" in result.output


def test_a_rewritten_chain_still_differs_from_the_samples_record(app, runner):
    (sample_id,) = _three_event_samples(app, 1)
    # Rewriting the last event with a freshly computed hash still disagrees with the head.
    with app.app_context():
        event = db.session.scalars(
            sa.select(CustodyEvent).where(
                CustodyEvent.sample_id == sample_id, CustodyEvent.seq == 3
            )
        ).one()
        event.note = "伪造"
        event.hash = sampling._link(event).digest()
        db.session.commit()
    result = runner.invoke(args=["custody", "verify"])
    assert result.exit_code == 1 and f"sample {sample_id} event 3: edited" in result.output


def test_a_status_changed_behind_the_chains_back_is_reported(app, runner):
    (sample_id,) = _three_event_samples(app, 1)
    _sql(app, "UPDATE samples SET status = 'verified' WHERE id = :s", s=sample_id)
    result = runner.invoke(args=["custody", "verify"])
    assert result.exit_code == 1 and "differs from the last event" in result.output
