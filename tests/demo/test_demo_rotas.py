"""The demo's rotas: the registrars' rota published with no breach, the consultants' two on-call
designs shared out as their 1-in-n says (counted here from the duties), the same rotas on every run,
kept from one run to the next, and built again when a specification changes."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from stocktake.demo.rotas import BOTH_SITES_SLUG, BY_SITE_SLUG, REGISTRARS_SLUG, seed_rotas
from stocktake.rota.store import RotaStore
from stocktake.settings import demo_settings


def _settings(folder):
    settings = demo_settings(folder)
    return dataclasses.replace(settings, database_url=f"sqlite:///{settings.home / 'workspace.sqlite'}")


def _events(settings) -> list[tuple[str, str]]:
    engine = create_engine(settings.database_url)
    with engine.connect() as db:
        found = list(db.execute(text("select action, subject from audit_events order by id")))
    engine.dispose()
    return [tuple(row) for row in found]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    settings = _settings(tmp_path_factory.mktemp("demo"))
    return settings, seed_rotas(settings)


def test_the_registrars_rota_is_published_with_notice_and_no_breach(home):
    settings, _ = home
    rota = RotaStore(settings.home / "rotas").get(REGISTRARS_SLUG)
    assert rota.published and rota.about["published_by"] == "the demo"
    assert rota.published_on == rota.problem().start - timedelta(weeks=8)
    assert rota.check().breaches == ()
    problem, assigned = rota.problem(), rota.solution().assignments
    counted = Counter((a.shift, a.date) for a in assigned)
    for slot in problem.slots():  # every slot covered, counted from the duties themselves
        assert slot.shift.cover <= counted[(slot.shift.id, slot.date)] <= slot.shift.cover_max
    assert not any(a.date in problem.doctor(a.doctor).leave for a in assigned)


@pytest.mark.parametrize(
    ("slug", "shares"),
    [
        (BOTH_SITES_SLUG, {f"C0{n}": 56 // 8 for n in range(1, 9)}),  # 56 nights and weekend days over 8
        (BY_SITE_SLUG, {f"C0{n}": 56 // 4 for n in range(1, 9)}),  # 56 at each site over its 4
    ],
)
def test_each_consultant_design_shares_its_on_call_as_its_one_in_n(home, slug, shares):
    settings, _ = home
    rota = RotaStore(settings.home / "rotas").get(slug)
    assert not rota.published and rota.check().breaches == ()
    assert Counter(a.doctor for a in rota.solution().assignments) == shares


def test_a_second_run_keeps_the_rotas_and_another_home_gets_the_same_ones(home, tmp_path):
    settings, kept = home
    assert [r.slug for r in kept] == [REGISTRARS_SLUG, BOTH_SITES_SLUG, BY_SITE_SLUG]
    logged = _events(settings)
    assert sorted(logged) == sorted(
        [("rota_built", f"rota:{r.slug}") for r in kept] + [("rota_published", f"rota:{REGISTRARS_SLUG}")]
    )
    again = seed_rotas(settings)
    assert [r.about for r in again] == [r.about for r in kept]  # nothing built or published again
    assert _events(settings) == logged
    elsewhere = seed_rotas(_settings(tmp_path))
    assert [r.solution().assignments for r in elsewhere] == [r.solution().assignments for r in kept]


def test_a_changed_specification_is_built_again(tmp_path):
    settings = _settings(tmp_path)
    first = {r.slug: r for r in seed_rotas(settings)}
    spec = first[BY_SITE_SLUG].folder / "spec.yaml"
    spec.write_text(spec.read_text().replace("weeks: 8", "weeks: 4"))
    second = {r.slug: r for r in seed_rotas(settings)}
    assert second[BY_SITE_SLUG].about["end"] == first[BY_SITE_SLUG].about["end"]  # the wanted spec again
    assert second[BY_SITE_SLUG].created_at > first[BY_SITE_SLUG].created_at
    assert second[REGISTRARS_SLUG].about == first[REGISTRARS_SLUG].about


def test_the_consultants_rota_by_site_uses_the_sites_of_the_demos_job_plans(home):
    """Each site's on-call in the by-site design is at a site the demo's job plans name (C01–C04 at
    Northshire General, C05–C08 at Riverside), so the Rotas and Job plans pages speak of one place."""
    from stocktake.demo.jobplans import CONSULTANTS, plan

    settings, _ = home
    planned = {}
    for index, (consultant, _name) in enumerate(CONSULTANTS):
        sites = [a["site"] for a in plan(index, "2025/26")["activities"] if a.get("site")]
        planned[consultant] = Counter(sites).most_common(1)[0][0]  # their home site
    problem = RotaStore(settings.home / "rotas").get(BY_SITE_SLUG).problem()
    assert {s.site for s in problem.shifts} == set(planned.values()) == {"Northshire General", "Riverside"}
    for doctor in problem.doctors:
        assert set(doctor.sites) == {planned[doctor.id]}
