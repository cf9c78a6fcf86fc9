"""Pricing for the Curtois column generation: one person's cheapest schedules, by labelling.

Branch-and-price for rostering prices with a resource-constrained shortest path over the days; so
does this. A label is a partial schedule: its cost, the last shift (or a day off), the length of
the run of work or rest it ends in, minutes worked, weekends worked, and the shifts worked of each
type whose maximum can bind. Two labels with the same last shift, run and minutes are compared on
the rest, and the dominated one dropped; so is a label that cannot finish below the threshold even
at the least completion cost (shift successions and days off only). What survives is exact.

The loop is compiled with numba: in Python it would be slower than the CP-SAT model it replaces
(40–200 ms a person). ``nogil`` lets people be priced in parallel threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from stocktake.rota.curtois.instance import Instance, Staff

Schedule = frozenset[tuple[int, str]]  # (day, shift) worked


@dataclass(frozen=True)
class Person:
    """One person's rules as arrays, built once and priced many times."""

    id: str
    shift_ids: tuple[str, ...]
    allowed: np.ndarray  # [day, shift]: not a day off, and the shift's maximum is above 0
    forbid: np.ndarray  # [last, shift]: shift may not follow last (row ``len(shift_ids)`` = a day off)
    length: np.ndarray  # [shift]: minutes in units of ``unit``
    bind: np.ndarray  # [shift]: index of its count among the maxima that can bind, or -1
    caps: np.ndarray  # [k]: those maxima
    unit: int
    min_minutes: int
    max_minutes: int
    min_run: int
    max_run: int
    min_rest: int
    max_weekends: int
    weekend: np.ndarray  # [day]: 1 a Saturday, 2 a Sunday, 0 otherwise


def person_arrays(instance: Instance, person: Staff) -> Person:
    shifts = instance.shifts
    ids = tuple(s.id for s in shifts)
    allowed = np.ones((instance.days, len(ids)), dtype=np.bool_)
    for d in instance.days_off.get(person.id, ()):
        allowed[d, :] = False
    maxima = [person.max_shifts.get(s, instance.days) for s in ids]
    allowed[:, [m == 0 for m in maxima]] = False
    forbid = np.zeros((len(ids) + 1, len(ids)), dtype=np.bool_)
    for i, shift in enumerate(shifts):
        for follower in shift.cannot_follow:
            forbid[i, ids.index(follower)] = True
    unit = math.gcd(*(s.minutes for s in shifts))
    binding = [i for i, m in enumerate(maxima) if 0 < m < instance.days]
    bind = np.full(len(ids), -1, dtype=np.int64)
    bind[binding] = np.arange(len(binding))
    weekend = np.zeros(instance.days, dtype=np.int64)
    for sat, sun in instance.weekends:
        weekend[sat] = 1
        if sun < instance.days:
            weekend[sun] = 2
    return Person(
        id=person.id,
        shift_ids=ids,
        allowed=allowed,
        forbid=forbid,
        length=np.array([s.minutes // unit for s in shifts], dtype=np.int64),
        bind=bind,
        caps=np.array([maxima[i] for i in binding], dtype=np.int64),
        unit=unit,
        min_minutes=person.min_minutes,
        max_minutes=person.max_minutes,
        min_run=person.min_consecutive,
        max_run=person.max_consecutive,
        min_rest=person.min_consecutive_off,
        max_weekends=person.max_weekends,
        weekend=weekend,
    )


@dataclass(frozen=True)
class Priced:
    """Schedules below the threshold, cheapest first: the cheapest, and the best of other final states
    (a schedule dominated on the way is not among them). When ``exact``, an empty list proves no
    schedule costs less than the threshold."""

    schedules: list[Schedule]
    values: list[float]
    exact: bool
    least: float  # no schedule costs less (exact: the cheapest, or the threshold; else a relaxation's)


BEAM = 20_000  # labels kept a day; beyond it only the likeliest are kept and the answer is inexact
SCOUT = 64  # labels kept a day by the first, narrow pass
WIDE = 1024  # and by the second


def cheapest(
    person: Person, cost: np.ndarray, *, threshold: float, wanted: int, quick: bool = False, beam: int = BEAM
) -> Priced:
    """``person``'s cheapest schedules at ``cost[day, shift]`` per cell worked (a day off costs 0).

    Narrow passes find good schedules fast; the worst of them is the threshold of the next, wider
    pass, which then drops far more labels. ``quick``: the first pass to find any schedule will do."""
    finish = _completion(
        cost,
        person.allowed,
        person.forbid,
        person.length,
        person.unit,
        person.min_minutes,
        person.min_run,
        person.max_run,
        person.min_rest,
        max(person.max_run, person.min_rest) + 1,
        person.max_minutes // person.unit,
    )
    for width in sorted({min(w, beam) for w in (SCOUT, WIDE if quick else SCOUT, beam)}):
        values, chosen, exact = _labelling(person, cost, finish, threshold, wanted, width)
        if exact or (quick and len(values)):
            break
        if len(values) == wanted:
            threshold = min(threshold, values[-1] + 1e-9)
    off = len(person.shift_ids)
    schedules = [frozenset((d, person.shift_ids[s]) for d, s in enumerate(row) if s != off) for row in chosen]
    relaxed = finish[0, off, 0, 0]  # from the start (a day off, no run, no minutes), most rules kept
    least = (values[0] if len(values) else threshold) if exact else relaxed
    return Priced(schedules, [float(v) for v in values], bool(exact), float(least))


def _labelling(
    person: Person, cost: np.ndarray, finish: np.ndarray, threshold: float, wanted: int, beam: int
):
    return _label(
        cost,
        finish,
        person.allowed,
        person.forbid,
        person.length,
        person.bind,
        person.caps,
        person.unit,
        person.min_minutes,
        person.max_minutes,
        person.min_run,
        person.max_run,
        person.min_rest,
        person.max_weekends,
        person.weekend,
        threshold,
        wanted,
        beam,
    )


@njit(nogil=True, cache=True)
def _next_run(d, last, run, s, off, allowed, forbid, min_run, max_run, min_rest):  # pragma: no cover
    """The run that working ``s`` on day ``d`` (``s == off``: resting) leaves, or -1 if a rule forbids it.

    ``run`` counts the days of work (``last`` a shift) or rest (``last == off``) up to day d-1; a run
    as long as ``d`` began with the horizon, and runs touching its edges may be short."""
    if s == off:
        if last == off:
            return min(run + 1, max(min_rest, 1))  # rests longer than the minimum are all alike
        return 1 if run >= min_run or run == d else -1
    if not allowed[d, s] or forbid[last, s]:
        return -1
    if last == off:
        return 1 if run >= min_rest or run == d else -1
    return run + 1 if run < max_run else -1


@njit(nogil=True, cache=True)
def _completion(cost, allowed, forbid, length, unit, min_minutes, min_run, max_run, min_rest, runs, top):
    """Least cost of finishing from day d after (last, run, minutes) — every rule but the weekends
    and the shift-type maxima; infinite where no finish keeps them."""  # pragma: no cover
    days, types = cost.shape
    finish = np.full((days + 1, types + 1, runs, top + 1), np.inf)
    for m in range(top + 1):
        if m * unit >= min_minutes:
            finish[days, :, :, m] = 0.0
    for d in range(days - 1, -1, -1):
        for last in range(types + 1):
            for run in range(runs):
                best = finish[d, last, run]
                for s in range(types + 1):
                    new_run = _next_run(d, last, run, s, types, allowed, forbid, min_run, max_run, min_rest)
                    if new_run < 0:
                        continue
                    after = finish[d + 1, s, new_run]
                    if s == types:
                        for m in range(top + 1):
                            best[m] = min(best[m], after[m])
                    else:
                        step, value = length[s], cost[d, s]
                        for m in range(top + 1 - step):
                            best[m] = min(best[m], value + after[m + step])
    return finish


@njit(nogil=True, cache=True)
def _label(
    cost,
    finish,
    allowed,
    forbid,
    length,
    bind,
    caps,
    unit,
    min_minutes,
    max_minutes,
    min_run,
    max_run,
    min_rest,
    max_weekends,
    weekend,
    threshold,
    wanted,
    beam,
):  # pragma: no cover - compiled; tested through ``cheapest``
    days, types = cost.shape
    off = types
    kinds = caps.shape[0]
    runs = max(max_run, min_rest) + 1
    top = max_minutes // unit
    # Counts too low to reach their maximum in the days left are all alike: raised to the lowest
    # that could, more labels compare (exactly: a label's future cannot tell them apart).
    kind_type = np.empty(kinds, dtype=np.int64)
    for s in range(types):
        if bind[s] >= 0:
            kind_type[bind[s]] = s
    still_allowed = np.zeros((days + 1, types), dtype=np.int64)  # days from d on a shift is allowed
    weekends_left = np.zeros(days + 1, dtype=np.int64)  # weekends that may still count after day d-1
    for d in range(days - 1, -1, -1):
        for s in range(types):
            still_allowed[d, s] = still_allowed[d + 1, s] + allowed[d, s]
        weekends_left[d] = weekends_left[d + 1] + (weekend[d] == 1)
    head = np.full((types + 1) * runs * (top + 1), -1, dtype=np.int64)
    room = 1 << 12
    l_cost = np.empty(room)
    l_last = np.empty(room, dtype=np.int64)
    l_run = np.empty(room, dtype=np.int64)
    l_minutes = np.empty(room, dtype=np.int64)
    l_weekends = np.empty(room, dtype=np.int64)
    l_count = np.zeros((room, kinds), dtype=np.int64)
    l_parent = np.empty(room, dtype=np.int64)
    l_alive = np.empty(room, dtype=np.bool_)
    l_next = np.empty(room, dtype=np.int64)
    count = np.zeros(kinds, dtype=np.int64)
    l_cost[0], l_last[0], l_run[0], l_minutes[0], l_weekends[0] = 0.0, off, 0, 0, 0
    l_parent[0], l_alive[0] = -1, True
    size, first, last_label, exact = 1, 0, 1, True
    for d in range(days):
        head[:] = -1
        begin = size
        for i in range(first, last_label):
            if not l_alive[i]:
                continue
            last, run = l_last[i], l_run[i]
            for s in range(types + 1):
                new_run = _next_run(d, last, run, s, off, allowed, forbid, min_run, max_run, min_rest)
                if new_run < 0:
                    continue
                weekends, minutes, value = l_weekends[i], l_minutes[i], l_cost[i]
                for k in range(kinds):
                    count[k] = l_count[i, k]
                if s < off:
                    minutes += length[s]
                    if minutes > top:
                        continue
                    k = bind[s]
                    if k >= 0:
                        count[k] += 1
                        if count[k] > caps[k]:
                            continue
                    if weekend[d] == 1 or (weekend[d] == 2 and last == off):
                        weekends += 1
                        if weekends > max_weekends:
                            continue
                    value += cost[d, s]
                if value + finish[d + 1, s, new_run, minutes] >= threshold:
                    continue
                for k in range(kinds):
                    t = kind_type[k]
                    more = min(still_allowed[d + 1, t], (top - minutes) // length[t])
                    count[k] = max(count[k], caps[k] - more)
                more = weekends_left[d + 1] + (d + 1 < days and weekend[d + 1] == 2)
                weekends = max(weekends, max_weekends - more)
                key = (s * runs + new_run) * (top + 1) + minutes
                dominated = False
                j = head[key]
                while j >= 0:
                    if l_alive[j]:
                        better, worse = l_cost[j] <= value, value <= l_cost[j]
                        better = better and l_weekends[j] <= weekends
                        worse = worse and weekends <= l_weekends[j]
                        for k in range(kinds):
                            better = better and l_count[j, k] <= count[k]
                            worse = worse and count[k] <= l_count[j, k]
                        if better:
                            dominated = True
                            break
                        if worse:
                            l_alive[j] = False
                    j = l_next[j]
                if dominated:
                    continue
                if size == room:
                    room *= 2
                    l_cost = _grow(l_cost, room)
                    l_last = _grow(l_last, room)
                    l_run = _grow(l_run, room)
                    l_minutes = _grow(l_minutes, room)
                    l_weekends = _grow(l_weekends, room)
                    l_parent = _grow(l_parent, room)
                    l_alive = _grow(l_alive, room)
                    l_next = _grow(l_next, room)
                    wider = np.zeros((room, kinds), dtype=np.int64)
                    wider[:size] = l_count[:size]
                    l_count = wider
                l_cost[size], l_last[size], l_run[size] = value, s, new_run
                l_minutes[size], l_weekends[size], l_parent[size] = minutes, weekends, i
                l_count[size] = count
                l_alive[size], l_next[size] = True, head[key]
                head[key] = size
                size += 1
        first, last_label = begin, size
        alive = 0
        for i in range(first, last_label):
            alive += l_alive[i]
        if alive > beam:  # too many to keep exactly: keep the likeliest, and say the answer may not be
            exact = False
            ranked = np.full(last_label - first, np.inf)
            for i in range(first, last_label):
                if l_alive[i]:
                    ranked[i - first] = l_cost[i] + finish[d + 1, l_last[i], l_run[i], l_minutes[i]]
            cut = np.sort(ranked)[beam - 1]
            for i in range(first, last_label):
                l_alive[i] = l_alive[i] and ranked[i - first] <= cut
    ends = np.array(
        [i for i in range(first, last_label) if l_alive[i] and l_minutes[i] * unit >= min_minutes]
    )
    ends = ends[np.argsort(l_cost[ends], kind="mergesort")][:wanted]
    values = np.empty(len(ends))
    chosen = np.empty((len(ends), days), dtype=np.int64)
    for n in range(len(ends)):
        i = ends[n]
        values[n] = l_cost[i]
        for d in range(days - 1, -1, -1):
            chosen[n, d] = l_last[i]
            i = l_parent[i]
    return values, chosen, exact


@njit(cache=True)
def _grow(array, room):  # pragma: no cover - compiled
    wider = np.empty(room, dtype=array.dtype)
    wider[: array.shape[0]] = array
    return wider
