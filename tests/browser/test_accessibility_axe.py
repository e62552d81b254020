"""axe-core on every page each role of the demo clinic can reach (issue 20, WCAG 2.1 AA).

The pages come from the access matrix (tests/integration/security/test_access_matrix.py): every
route whose GET a psychiatrist, a supervisor or a clinic admin receives with 200 is visited as that
role, its parameters filled with the demo clinic's objects; a separate test fails when a GET route
of the URLconf is neither visited nor excluded here with a reason, so a new page cannot escape.
Some pages are checked in the state a clinician meets them in: the trial form with the live
adequacy panel answered, the checklist with a section opened, the review form started and sent
empty. The error pages are our handlers' own (404, 403, 400, and the 500 template).

A violation of impact "serious" or "critical" fails the test, naming the page, the rule and the
offending elements; the lesser ones are accepted in docs/accessibility.md. Set
TRDCLINIC_AXE_REPORT to a file path to have every violation written there as JSON lines.
"""

import datetime
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from playwright.sync_api import Page, expect

from pseudoresistance.models import ImpasseCase
from pseudoresistance.services import impasse_case_flag
from records.csv_sample import sample_csv
from records.demo import DEMO_CLINIC_NAME, DEMO_USERS, demo_clinic_create
from records.models import Clinic, Role, ScaleAdministration, TreatmentTrial
from records.services.team import InviteInput, person_invite
from tests.factories import AgentFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.integration.security.test_access_matrix import (
    EXPECTED,
    LOGIN,
    VISITORS,
    concrete,
    url_patterns,
)
from tests.two_factor import authenticator_for, device_code
from tests.unit.records.test_medication_import import dispensing_csv

# WCAG 2.1 A and AA (the standard clinics must buy to), with axe's best practices reported too.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = {"serious", "critical"}
# axe's run on the document, when axe is in it (`with_axe`), answering only what a finding names:
# each violation's rule, impact and help, and each offending node's selector. The rest of axe's
# results (~50 KB a page: every rule that passed or did not apply, with its descriptions) crossed
# to Python for nothing, and axe cut a snippet of each node's HTML from its outerHTML for them.
RUN_AXE = """options => {
  if (!window.axe) {
    return null;
  }
  axe.configure({noHtml: true});
  return axe.run(document, options).then(results => results.violations.map(
    ({id, impact, help, nodes}) => ({id, impact, help, targets: nodes.map(node => node.target)})
  ));
}"""

ROLES = {
    "psychiatrist": (DEMO_USERS[0][0], Role.PSYCHIATRIST),
    "supervisor": (DEMO_USERS[1][0], Role.SUPERVISOR),
    "clinic admin": (DEMO_USERS[2][0], Role.CLINIC_ADMIN),
}
# GET routes not checked, each with its reason.
EXCLUDED = {
    "healthz": "JSON for load balancers, not a page",
    "patients/<int:patient_id>/staging.json": "a JSON download, not a page",
    "patients/<int:patient_id>/report.pdf": "a PDF (tagged PDFs: a11y-charts-pdf)",
    "patients/<int:patient_id>/report/letter.pdf": "a PDF (tagged PDFs: a11y-charts-pdf)",
    "patients/<int:patient_id>/report/patient.pdf": "a PDF (tagged PDFs: a11y-charts-pdf)",
    "impasse/episodes/<int:episode_id>/sections/<slug:prefix>/": (
        "an htmx fragment, checked opened inside the checklist page"
    ),
    "admin/login/": "Django's admin, for superusers only (issue 13), not a clinic page",
}
ADMIN_REASON = "Django's admin, for superusers only (issue 13), not a clinic page"
# Pages no role reaches signed in: the sign-in, its code step and an invitation link.
SIGNED_OUT = ("signin/", "signin/code/", "invitation/<str:token>/")
# More Django query fields than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000): a 400 from our handler.
TOO_MANY_FIELDS = "&".join(f"f{number}=1" for number in range(1_001))


def excluded_reason(route: str) -> str | None:
    if route.startswith("admin/"):
        return ADMIN_REASON
    return EXCLUDED.get(route)


def get_pages() -> list[str]:
    """Return every route a GET can show something at (not only refuse or redirect to sign-in)."""
    return [
        route
        for route in sorted(set(url_patterns()))
        if any(outcome not in (405, LOGIN) for outcome in EXPECTED[route][0])
    ]


def role_routes(role: str) -> list[str]:
    """Return the routes the role's GET receives with 200, the excluded ones left out."""
    column = VISITORS.index(role)
    return [
        route
        for route in get_pages()
        if EXPECTED[route][0][column] == 200 and excluded_reason(route) is None
    ]


def forbidden_route(role: str) -> str:
    """Return a route without parameters the role is refused (403), for the 403 page."""
    column = VISITORS.index(role)
    return next(
        route
        for route in get_pages()
        if EXPECTED[route][0][column] == 403 and "<" not in route and excluded_reason(route) is None
    )


def test_every_get_page_is_checked_or_excluded_with_a_reason() -> None:
    checked = {route for role in ROLES for route in role_routes(role)} | set(SIGNED_OUT)
    unchecked = [
        route for route in get_pages() if route not in checked and excluded_reason(route) is None
    ]
    assert unchecked == [], "GET pages neither checked for accessibility nor excluded"
    assert set(EXCLUDED) <= set(get_pages()), "exclusions for routes that are gone"
    assert not checked & {route for route in get_pages() if excluded_reason(route)}


@dataclass
class Findings:
    """The violations found, the failing ones apart, and the pages visited."""

    axe: Axe = field(default_factory=Axe)
    failing: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    report: list[dict[str, object]] = field(default_factory=list)

    def check(self, page: Page, name: str) -> None:
        self.visited.append(name)
        # A form's reply shows its message before the document's load event, and the load
        # handler (static/js/a11y.js) then moves the focus, which can scroll, while axe is part
        # way through: one run under load read the navigation bar's brand against the wrong
        # background. Axe looks at a loaded, settled document.
        page.wait_for_load_state("load")
        results = page.evaluate(RUN_AXE, AXE_OPTIONS)
        if results is None:
            # A document without the init script (a page of its own, or set_content's).
            page.evaluate(self.axe.axe_script)
            results = page.evaluate(RUN_AXE, AXE_OPTIONS)
        for violation in results:
            targets = [", ".join(map(str, target)) for target in violation["targets"]]
            self.report.append(
                {
                    "page": name,
                    "rule": violation["id"],
                    "impact": violation["impact"],
                    "help": violation["help"],
                    "targets": targets,
                }
            )
            if violation["impact"] in FAILING_IMPACTS:
                self.failing.append(
                    f"{name}: {violation['id']} ({violation['impact']}, {violation['help']}) "
                    f"at {'; '.join(targets[:8])}"
                )

    def save(self, role: str) -> None:
        path = os.environ.get("TRDCLINIC_AXE_REPORT")
        if path:
            with open(path, "a", encoding="utf-8") as report:
                for line in self.report:
                    report.write(json.dumps({"role": role, **line}) + "\n")


@pytest.fixture
def demo_values() -> dict[str, str]:
    """Build the demo clinic and return the URL parameters of its objects the pages show."""
    demo_clinic_create()
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    psychiatrist = User.objects.get(username=DEMO_USERS[0][0])
    admin = User.objects.get(username=DEMO_USERS[2][0])
    for username, _role in ROLES.values():
        user = User.objects.get(username=username)
        user.set_password(DEFAULT_PASSWORD)
        user.save(update_fields=["password"])
        authenticator_for(user)
    case = ImpasseCase.objects.filter(episode__patient__clinic=clinic).first()
    if case is None:
        trial = (
            TreatmentTrial.objects.filter(episode__patient__clinic=clinic).order_by("pk").first()
        )
        assert trial is not None
        case = impasse_case_flag(
            acting_user=psychiatrist, episode_id=trial.episode_id, reason="Two trials failed."
        )
    episode = case.episode
    trial = TreatmentTrial.objects.filter(episode=episode).order_by("seq").first()
    score = ScaleAdministration.objects.filter(episode=episode).first()
    assert trial is not None
    assert score is not None
    agent = AgentFactory(clinic=clinic)
    issued = person_invite(
        acting_user=admin,
        clinic_id=clinic.pk,
        data=InviteInput(
            username="invited-nurse",
            first_name="Ira",
            last_name="Invited",
            email="ira@example.org",
            role=Role.PSYCHIATRIST,
        ),
    )
    return {
        "patient_id": str(episode.patient_id),
        "episode_id": str(episode.pk),
        "trial_id": str(trial.pk),
        "administration_id": str(score.pk),
        "case_id": str(case.pk),
        "agent_id": str(agent.pk),
        "user_id": str(psychiatrist.pk),
        "prefix": "dB",
        "first": "thase_rush",
        "second": "fda",
        "token": issued.token,
    }


def answer_trial_form(page: Page, findings: Findings) -> None:
    """Fill the trial form enough for the live panel to judge the trial's adequacy."""
    agent = page.get_by_label("Agent")
    if not agent.input_value():
        agent.fill("sertraline")
        page.get_by_label("Start date").fill(
            (datetime.date.today() - datetime.timedelta(weeks=10)).isoformat()
        )
        page.get_by_label("Dose (mg/day)").fill("150")
    # The panel answers each change with a POST of the form, and replaces itself.
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_label("Weeks at dose").fill("9")
    expect(page.get_by_test_id("adequacy-feedback")).to_contain_text(re.compile(r"\w"))


def open_checklist_section(page: Page, findings: Findings) -> None:
    closed = page.locator("details.checklist-section:not([open])").first.get_attribute("id")
    section = page.locator(f"details[id='{closed}']")
    section.locator("summary").first.click()
    expect(section).to_have_attribute("open", "")
    expect(section.locator(".checklist-section-items")).not_to_contain_text("Show the")


def start_review_and_send_it_empty(page: Page, findings: Findings) -> None:
    page.get_by_role("button", name="Start the review").click()
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_test_id("review-form").locator(".invalid-feedback").first).to_be_visible()


def upload(page: Page, name: str, text: str, button: str) -> None:
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/plain", "buffer": text.encode()}
    )
    # A plain form post: the answer is a new page, checked once it has loaded.
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def send_a_broken_history(page: Page, findings: Findings) -> None:
    upload(page, "history.json", '{"trials": [{"kind": "pill"}]}', "Check and import")
    expect(page.get_by_test_id("import-problems")).to_be_visible()


def check_a_wrong_then_a_right_csv(page: Page, findings: Findings) -> None:
    text = sample_csv(rows=4, patients=2, seed=5)
    upload(page, "wrong.csv", text.replace("antidepressant", "pill", 1), "Check the file")
    expect(page.get_by_test_id("import-problems")).to_be_visible()
    findings.check(page, "patients/import-csv/ (problems)")
    upload(page, "trials.csv", text, "Check the file")
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()


def propose_courses_from_dispensings(page: Page, findings: Findings) -> None:
    upload(page, "dispensing.csv", dispensing_csv(), "Propose courses")
    expect(page.get_by_role("heading", name="Check the proposed courses")).to_be_visible()


def send_the_form_empty(page: Page, findings: Findings) -> None:
    page.locator("main form[method=post] button[type=submit]").first.click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()


ACTIONS: dict[str, Callable[[Page, Findings], None]] = {
    "patients/new/": send_the_form_empty,
    "clinic/team/invite/": send_the_form_empty,
    "clinic/settings/agents/new/": send_the_form_empty,
    "patients/<int:patient_id>/episodes/<int:episode_id>/trials/new/": answer_trial_form,
    "patients/<int:patient_id>/trials/<int:trial_id>/edit/": answer_trial_form,
    "impasse/episodes/<int:episode_id>/": open_checklist_section,
    "patients/<int:patient_id>/import/": send_a_broken_history,
    "patients/import-csv/": check_a_wrong_then_a_right_csv,
    "patients/<int:patient_id>/import/medications/": propose_courses_from_dispensings,
}
ROLE_ACTIONS: dict[tuple[str, str], Callable[[Page, Findings], None]] = {
    ("supervisor", "impasse/cases/<int:case_id>/"): start_review_and_send_it_empty,
}


def with_axe(page: Page) -> None:
    """Put axe-core (570 KB) into every document the page loads, before the page's scripts.

    Compiled once per renderer (V8 caches a script by its source) instead of evaluated again
    before each check.
    """
    page.add_init_script(Axe().axe_script)


def sign_in(page: Page, username: str, findings: Findings) -> None:
    page.goto("/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin/code/" in url)
    findings.check(page, "signin/code/")
    page.get_by_label("Code").fill(
        device_code(authenticator_for(User.objects.get(username=username)))
    )
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/signin/" not in url)


def visit(page: Page, path: str, status: int) -> None:
    """Open the page and wait for its load event: its scripts, styles and images are in.

    No page fetches anything after its load (htmx only on a click or an input), so waiting for
    the network to be idle as well only added its 500 ms of quiet to each of ~120 pages.
    """
    response = page.goto(path, wait_until="load")
    assert response is not None
    assert response.status == status, f"{path}: {response.status}"


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_the_role_has_no_serious_accessibility_violation(
    page: Page, demo_values: dict[str, str], role: str
) -> None:
    findings = Findings()
    with_axe(page)
    sign_in(page, ROLES[role][0], findings)
    routes = role_routes(role)
    for route in routes:
        visit(page, concrete(route, demo_values), 200)
        action = ROLE_ACTIONS.get((role, route)) or ACTIONS.get(route)
        if action is not None:
            action(page, findings)
        findings.check(page, route)
    visit(page, "/patients/999999999/", 404)
    findings.check(page, "404")
    visit(page, "/" + forbidden_route(role), 403)
    findings.check(page, "403")
    visit(page, "/?" + TOO_MANY_FIELDS, 400)
    findings.check(page, "400")
    page.set_content(render_to_string("500.html"))
    findings.check(page, "500")
    findings.save(role)

    assert set(findings.visited) >= {"signin/code/", *routes, "404", "403", "400", "500"}
    assert not findings.failing, "\n".join(findings.failing)


def test_the_signed_out_pages_have_no_serious_accessibility_violation(
    page: Page, demo_values: dict[str, str]
) -> None:
    findings = Findings()
    with_axe(page)
    visit(page, "/signin/", 200)
    findings.check(page, "signin/")
    page.get_by_label("Username").fill(DEMO_USERS[0][0])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".alert, .invalid-feedback, .errorlist").first).to_be_visible()
    findings.check(page, "signin/ (refused)")
    visit(page, concrete("invitation/<str:token>/", demo_values), 200)
    findings.check(page, "invitation/<str:token>/")
    findings.save("signed out")

    assert not findings.failing, "\n".join(findings.failing)


PROBE = (
    '<html lang="en"><head><title>Probe</title></head><body><main>'
    '<p id="faint" style="color:#aaa;background:#fff">Faint text</p>'
    '<input id="nameless" type="text"></main></body></html>'
)


@pytest.mark.parametrize("loaded", ["by the init script", "into the document"])
def test_the_check_fails_on_serious_violations_and_names_page_rule_and_element(
    page: Page, loaded: str
) -> None:
    if loaded == "by the init script":
        with_axe(page)
        page.route("**/probe/", lambda route: route.fulfill(body=PROBE, content_type="text/html"))
        page.goto("/probe/")
        assert page.evaluate("typeof window.axe") == "object"
    else:
        page.set_content(PROBE)
        assert page.evaluate("typeof window.axe") == "undefined"
    findings = Findings()
    findings.check(page, "probe")

    assert {(line["rule"], line["impact"]) for line in findings.report} >= {
        ("color-contrast", "serious"),
        ("label", "critical"),
    }
    assert any(
        line.startswith("probe: color-contrast") and "#faint" in line for line in findings.failing
    )
