"""Stored HTML/JS in every free-text field the UI shows never runs (OWASP ASVS 5.3.3).

Each free-text field of a patient's record, trials, scores, checklist answers, impasse case and
review holds a payload that calls `xss(<field>)` if it ever runs: a <script>, an <img onerror>
or an <svg onload>, cut to the field's length. Chromium then opens every page that shows them
as the clinician who would read it. An init script defines `xss` before any page script, so a
payload that runs is recorded whatever the page's CSP; the DOM must hold no <script> and no
element with an event handler from a payload (a JSON data island may carry one only as
escaped text), and every payload must be on some page as text.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page

from pseudoresistance.services import (
    AnswerInput,
    ReviewInput,
    checklist_answers_record,
    impasse_case_flag,
    impasse_review_release,
    impasse_review_save,
    impasse_review_start,
)
from records.models import Clinic, Episode, Patient, Role, TreatmentTrial
from records.services import trial_adequacy_override
from tests.factories import (
    AgentFactory,
    ClinicFactory,
    EpisodeFactory,
    MembershipFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    UserFactory,
)
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step

RECORDER = "window.__xss = []; window.xss = (field) => window.__xss.push(String(field));"
# Every request a page's scripts make. None by the load event means nothing can arrive later to
# run a payload: the page is read then, without waiting for the network to stay idle.
REQUESTS = """
window.__requests = [];
const open = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    window.__requests.push(String(url));
    return open.call(this, method, url, ...rest);
};
const fetch = window.fetch;
window.fetch = (resource, options) => {
    window.__requests.push(String(resource));
    return fetch(resource, options);
};
"""
INJECTED = """() => [
    ...[...document.querySelectorAll('script:not([type="application/json"])')]
        .filter((s) => s.textContent.includes('xss(')),
    ...[...document.querySelectorAll('script[type="application/json"]')]
        .filter((s) => s.textContent.includes('<')),
    ...[...document.querySelectorAll('*')].filter((e) =>
        [...e.attributes].some((a) => a.name.startsWith('on') && a.value.includes('xss('))),
].map((e) => e.outerHTML)"""

FIELD_VALUES = "() => [...document.querySelectorAll('input, textarea')].map((e) => e.value)"


def payload(field: int, room: int) -> str:
    """Return a payload for field number `field` that fits in `room` characters."""
    forms = [
        f'<script>xss({field})</script><img src=x onerror="xss({field})">',
        f"<img src=x onerror=xss({field})>",
        f"<svg onload=xss({field})>",
    ]
    return next(text for text in forms if len(text) <= room)


def stored_payloads(clinic: Clinic, psychiatrist: User, supervisor: User) -> tuple[dict, Patient]:
    """Store a payload in every free-text field; return {field: payload} and the patient."""
    fields: dict[str, str] = {}

    def p(name: str, room: int) -> str:
        fields[name] = payload(len(fields) + 1, room)
        return fields[name]

    patient = PatientFactory(
        clinic=clinic,
        psychiatrist=psychiatrist,
        record_number=p("record number", 40),
        family_name=p("family name", 100),
        given_name=p("given name", 100),
    )
    onset = timezone.localdate() - datetime.timedelta(days=200)
    episode: Episode = EpisodeFactory(patient=patient, onset_date=onset)
    agent = AgentFactory(clinic=clinic, name=p("clinic agent name", 100))
    trial: TreatmentTrial = TrialFactory(
        episode=episode, code=p("trial id", 20), seq=1, agent=agent, dose_mg_per_day=Decimal(20)
    )
    TrialFactory(
        episode=episode,
        code="T2",
        seq=2,
        agent=None,
        agent_name=p("uncatalogued agent", 100),
        drug_class=p("drug class", 40),
        start_date=onset + datetime.timedelta(days=60),
    )
    TrialFactory(
        episode=episode,
        code="T3",
        seq=3,
        kind="psychotherapy",
        agent=None,
        dose_mg_per_day=None,
        therapy_type=p("therapy type", 40),
        sessions=12,
        start_date=onset + datetime.timedelta(days=100),
    )
    case = impasse_case_flag(
        acting_user=psychiatrist, episode_id=episode.pk, reason=p("flag reason", 500)
    )
    trial_adequacy_override(
        acting_user=psychiatrist,
        trial_id=trial.pk,
        expected_version=1,
        adequate=True,
        reason=p("override reason", 500),
    )
    ScaleAdministrationFactory(
        episode=episode,
        scale_version=p("scale version", 40),
        interview_guide=p("interview guide", 40),
        rater=p("rater", 100),
    )
    checklist_answers_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        answers=[
            AnswerInput(item_code="B1", answer="yes", evidence=p("checklist evidence", 500)),
        ],
    )
    impasse_review_start(acting_user=supervisor, case_id=case.pk)
    impasse_review_release(acting_user=supervisor, case_id=case.pk, reason=p("release reason", 500))
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    impasse_review_save(
        acting_user=supervisor,
        case_id=case.pk,
        expected_version=review.version,
        data=ReviewInput(
            findings=p("review findings", 500),
            factors_note=p("factors note", 500),
            next_steps=p("next steps", 500),
        ),
    )
    return fields, patient


def sign_in(page: Page, user: User) -> None:
    page.context.clear_cookies()
    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)


def test_stored_payloads_never_run_on_the_pages_that_show_them(page: Page) -> None:
    clinic = ClinicFactory(name="Riverside Clinic")
    psychiatrist, supervisor = UserFactory(), UserFactory()
    MembershipFactory(user=psychiatrist, clinic=clinic, role=Role.PSYCHIATRIST)
    MembershipFactory(user=supervisor, clinic=clinic, role=Role.SUPERVISOR)
    fields, patient = stored_payloads(clinic, psychiatrist, supervisor)
    case = patient.impasse_cases.get()
    episode = patient.episodes.get()
    score = episode.scale_administrations.get()
    trials = list(episode.trials.order_by("seq"))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(RECORDER)
    page.add_init_script(REQUESTS)
    pages = {
        psychiatrist: [
            "/",
            f"/patients/{patient.pk}/",
            f"/patients/{patient.pk}/staging/",
            f"/patients/{patient.pk}/report/",
            f"/patients/{patient.pk}/report/prepare/",
            f"/patients/{patient.pk}/report/letter/",
            f"/patients/{patient.pk}/report/patient/",
            f"/patients/{patient.pk}/changes/",
            f"/impasse/episodes/{episode.pk}/",
            # The forms show the stored values inside their fields.
            f"/patients/{patient.pk}/edit/",
            f"/patients/{patient.pk}/scores/{score.pk}/edit/",
            *(f"/patients/{patient.pk}/trials/{trial.pk}/edit/" for trial in trials),
        ],
        supervisor: ["/impasse/", f"/impasse/cases/{case.pk}/", f"/patients/{patient.pk}/"],
    }
    shown: set[str] = set()
    for user, paths in pages.items():
        sign_in(page, user)
        for path in paths:
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, path
            assert page.evaluate("window.__requests") == [], f"{path} loads more after its load"
            assert page.evaluate("window.__xss") == [], f"a stored payload ran on {path}"
            assert page.evaluate(INJECTED) == [], f"a stored payload is markup on {path}"
            text = page.locator("body").inner_text() + "".join(page.evaluate(FIELD_VALUES))
            shown |= {name for name, value in fields.items() if value in text}
    assert dialogs == []
    assert sorted(set(fields) - shown) == [], "payloads no page showed"
