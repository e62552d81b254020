"""The pages with plotly charts draw them under the strict Content-Security-Policy: no violation
reported by the browser, and the charts are there (ASVS 14.4.3)."""

from playwright.sync_api import expect

from records.models import Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.integration.records.test_report import report_patient, simple_history
from tests.two_factor import authenticator_for, browser_code_step

PASSWORD = "csp-journey-pass-1"
# Runs before the page's own scripts and outside its policy: records every violation event.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`
  );
});
"""


def test_charts_draw_with_no_content_security_policy_violation(page, transactional_db):
    clinic = ClinicFactory(name="Riverside Clinic")
    user = UserFactory(username="csp-psychiatrist")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(user=user, clinic=clinic, role=Role.PSYCHIATRIST)
    patient = report_patient(clinic, user, simple_history(), record_number="RN-CSP")
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)

    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    pages = {
        f"/patients/{patient.pk}/": page.get_by_test_id("score-chart"),
        f"/patients/{patient.pk}/staging/": page.get_by_test_id("stage-chart"),
        f"/patients/{patient.pk}/report/": page.locator("[data-figure]").first,
    }
    for url, chart in pages.items():
        response = page.goto(url)
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(chart.locator("svg.main-svg").first).to_be_attached()
        # plotly's own rules went into the nonce'd element through the CSSOM.
        rules = page.evaluate(
            "document.getElementById('plotly.js-style-global').sheet.cssRules.length"
        )
        assert rules > 0, url
        assert page.evaluate("window.__cspViolations") == [], url
    # The trial form's live checks (htmx) run under the same policy.
    episode = patient.episodes.get()
    page.goto(f"/patients/{patient.pk}/episodes/{episode.pk}/trials/new/")
    expect(page.locator("form").first).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]
