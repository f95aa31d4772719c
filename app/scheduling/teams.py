"""Inspector teams of two (the law requires at least two samplers): a pure function."""

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Inspector:
    user_id: int
    district_code: str | None


def assign_teams(
    tasks: list[tuple[int, str]], inspectors: list[Inspector], workload: Counter
) -> dict[int, tuple[int, int]]:
    """A team for each (task key, district) in order: the two inspectors of the task's
    district with the fewest open tasks, then inspectors of other districts. Workload counts
    open tasks per inspector and is updated as tasks are handed out. Fewer than two
    inspectors: no teams (a planner must assign them)."""
    if len(inspectors) < 2:
        return {}
    load = Counter(workload)
    teams: dict[int, tuple[int, int]] = {}
    for key, district in tasks:
        ranked = sorted(
            inspectors,
            key=lambda person: (
                person.district_code != district,
                load[person.user_id],
                person.user_id,
            ),
        )
        first, second = ranked[0].user_id, ranked[1].user_id
        teams[key] = (first, second)
        load[first] += 1
        load[second] += 1
    return teams
