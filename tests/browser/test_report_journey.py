from playwright.sync_api import expect

from records.access import access_for_user
from records.models import Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.integration.records.test_report import report_patient, simple_history
from tests.two_factor import authenticator_for, browser_code_step

PASSWORD = "report-journey-pass-1"


def test_clinician_opens_the_report_sees_the_charts_and_downloads_the_pdf(page, transactional_db):
    clinic = ClinicFactory(name="Riverside Clinic")
    user = UserFactory(username="report-psychiatrist")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(user=user, clinic=clinic, role=Role.PSYCHIATRIST)
    assert access_for_user(user, clinic.pk) is not None
    patient = report_patient(clinic, user, simple_history(), record_number="RN-J1")

    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    page.goto(f"/patients/{patient.pk}/report/")

    expect(page.get_by_role("heading", name="Second-opinion report")).to_be_visible()
    charts = page.locator("[data-figure]")
    expect(charts).to_have_count(2)
    for index in range(2):
        expect(charts.nth(index).locator("svg").first).to_be_attached()
    expect(page.get_by_test_id("report-model-thase_rush")).to_contain_text("stage")

    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename.startswith("report-RN-J1-")
    response = page.request.get(f"/patients/{patient.pk}/report.pdf")
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
