"""Cohort journey in Chromium: a supervisor filters by psychiatrist and opens a disagreement.

The episodes are set up with factories and staged into snapshots the way `manage.py restage`
does; only the cohort pages are driven in the browser.
"""

import datetime
import re
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from cohort.services import snapshots_restage
from cohort.snapshots import VERDICT_KEYS
from records.models import Clinic, Role
from staging.registry import ENGINES
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    MembershipFactory,
    PatientFactory,
    TrialFactory,
    UserFactory,
    builtin_agent,
)
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step

DOSES = {"sertraline": 100, "escitalopram": 10, "venlafaxine": 150}


def clinician(clinic: Clinic, role: str, first_name: str) -> User:
    user = UserFactory(first_name=first_name, last_name="Tester")
    MembershipFactory(user=user, clinic=clinic, role=role)
    return user


def failed_trials(clinic: Clinic, psychiatrist: User, record_number: str, *agents: str) -> None:
    patient = PatientFactory(clinic=clinic, psychiatrist=psychiatrist, record_number=record_number)
    episode = EpisodeFactory(
        patient=patient, onset_date=timezone.localdate() - datetime.timedelta(days=200)
    )
    for number, agent in enumerate(agents):
        TrialFactory(
            episode=episode,
            agent=builtin_agent(agent),
            dose_mg_per_day=Decimal(DOSES[agent]),
            start_date=episode.onset_date + datetime.timedelta(days=7 + 63 * number),
        )


def sign_in(page: Page, user: User) -> None:
    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    expect(page.get_by_test_id("signed-in-user")).to_be_visible()


def click_heat_map_cell(page: Page, row: str, column: str) -> None:
    """Click the concordance heat map's cell of two models (row at the top, as drawn)."""
    size = len(VERDICT_KEYS)
    plot = page.get_by_test_id("concordance-chart").locator(".nsewdrag").first
    box = plot.bounding_box()
    assert box is not None
    x = (VERDICT_KEYS.index(column) + 0.5) / size * box["width"]
    y = (VERDICT_KEYS.index(row) + 0.5) / size * box["height"]
    plot.click(position={"x": x, "y": y})


def test_a_supervisor_filters_by_psychiatrist_and_opens_a_disagreement(
    page: Page, transactional_db: None
) -> None:
    clinic = ClinicFactory(name="Riverside Clinic")
    dana = clinician(clinic, Role.PSYCHIATRIST, "Dana")
    eli = clinician(clinic, Role.PSYCHIATRIST, "Eli")
    supervisor = clinician(clinic, Role.SUPERVISOR, "Sam")
    # Two SSRIs: the FDA definition is met, Thase-Rush stays at stage I (one class).
    failed_trials(clinic, dana, "RN-DANA-SSRI", "sertraline", "escitalopram")
    failed_trials(clinic, dana, "RN-DANA-TWO", "sertraline", "venlafaxine")
    failed_trials(clinic, eli, "RN-ELI-SSRI", "sertraline", "escitalopram")
    snapshots_restage()

    sign_in(page, supervisor)
    page.get_by_role("link", name="Cohort").click()
    expect(page.get_by_role("heading", name="Cohort", exact=True)).to_be_visible()
    expect(page.get_by_test_id("cohort-filter")).to_be_visible()
    expect(page.locator("[data-cohort-figures] .plot-container")).to_have_count(len(ENGINES))
    page.get_by_label("Psychiatrist").select_option(label="Dana Tester")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"psychiatrist={dana.pk}"))
    expect(page.get_by_text("Riverside Clinic: 2 episodes")).to_be_visible()
    expect(page.get_by_test_id("concordance-chart").locator(".nsewdrag")).to_have_count(1)

    click_heat_map_cell(page, "fda", "thase_rush")
    expect(page).to_have_url(
        re.compile(rf"/cohort/disagreements/fda/thase_rush/\?psychiatrist={dana.pk}")
    )
    rows = page.get_by_test_id("disagreement-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("RN-DANA-SSRI")
    expect(rows.first).to_contain_text("stage I")
    rows.first.get_by_role("link").click()
    expect(page.get_by_text("RN-DANA-SSRI").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/patients/\d+/"))
