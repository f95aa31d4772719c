"""The app as bench/vote.py serves it with gunicorn, plus one bench-only route.

POST /bench/baseline goes through the same stack as a ballot (session cookie, form parsing, the
app's before-request hooks) but applies no rules: one INSERT into bench_baseline, a table the
bench creates, then a commit. It is the ceiling a ballot could reach on the same server. The
route exists only here, never in app/, and is exempt from CSRF because it is no product route.
"""

import sqlalchemy as sa
from flask import request, session

from app import create_app
from app.extensions import csrf, db

app = create_app()

INSERT_BASELINE = sa.text(
    "INSERT INTO bench_baseline (resident, payload) VALUES (:resident, :payload)"
)


@app.post("/bench/baseline")
@csrf.exempt
def baseline():
    payload = ",".join(request.form.getlist("candidate"))
    db.session.execute(
        INSERT_BASELINE, {"resident": session.get("resident_id"), "payload": payload}
    )
    db.session.commit()
    return "ok"
