"""The custody hash chain: each event's hash covers its fields and the previous event's hash."""

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainLink:
    """What is hashed for one custody event (times as ISO-8601 UTC strings)."""

    sample_id: int
    seq: int
    action: str
    from_status: str | None
    to_status: str
    actor_id: int | None
    actor_role: str | None
    at: str
    latitude: float | None
    longitude: float | None
    note: str
    prev_hash: str

    def digest(self) -> str:
        canonical = json.dumps(
            self.__dict__, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    sample_id: int
    seq: int | None
    kind: str  # "edited", "inserted", "deleted"
    detail: str


def verify_chain(
    sample_id: int, links: list[tuple[ChainLink, str]], head_hash: str | None, count: int
) -> list[ChainProblem]:
    """Problems in one sample's chain. `links` are (fields, stored hash) in seq order;
    `head_hash` and `count` are what the sample recorded when its last event was written."""
    problems: list[ChainProblem] = []
    previous = GENESIS
    for position, (link, stored) in enumerate(links, start=1):
        if link.digest() != stored:
            problems.append(
                ChainProblem(sample_id, link.seq, "edited", "fields differ from their hash")
            )
        if link.seq != position or link.prev_hash != previous:
            kind = "deleted" if link.seq > position else "inserted"
            problems.append(
                ChainProblem(sample_id, link.seq, kind, "does not follow the event before it")
            )
        previous = stored
    last_seq = links[-1][0].seq if links else None
    if len(links) != count:
        kind = "deleted" if len(links) < count else "inserted"
        problems.append(
            ChainProblem(sample_id, last_seq, kind, f"{count} events recorded, {len(links)} found")
        )
    elif previous != (head_hash or GENESIS):
        problems.append(
            ChainProblem(sample_id, last_seq, "edited", "the last event differs from the record")
        )
    return problems
