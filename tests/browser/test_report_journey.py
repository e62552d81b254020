"""A psychiatrist prepares the report, then downloads the summary, the letter to primary care
and the patient's summary: each a PDF."""

from playwright.sync_api import expect

from records.models import ReportPreparation, Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.integration.records.test_report import report_patient, simple_history
from tests.two_factor import authenticator_for, browser_code_step

PASSWORD = "report-journey-pass-1"
# A PDF with charts on a busy test machine can take several seconds.
DOWNLOAD_TIMEOUT_MS = 90_000


def test_clinician_prepares_the_report_and_downloads_the_three_documents(page, transactional_db):
    clinic = ClinicFactory(name="Riverside Clinic")
    user = UserFactory(username="report-psychiatrist")
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(user=user, clinic=clinic, role=Role.PSYCHIATRIST)
    patient = report_patient(clinic, user, simple_history(), record_number="RN-J1")

    authenticator_for(user)
    page.goto("/signin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    page.goto(f"/patients/{patient.pk}/report/")

    expect(page.get_by_role("heading", name="Second-opinion summary")).to_be_visible()
    expect(page.get_by_test_id("report-draft")).to_be_visible()
    expect(page.get_by_test_id("report-model-thase_rush")).to_contain_text("of V")
    expect(page.locator("[data-figure] svg.main-svg").first).to_be_attached()

    page.get_by_test_id("prepare-report").click()
    page.get_by_label("Reason for referral").fill("Two antidepressants without remission.")
    page.get_by_label("Referrer").fill("Dr Amal Haddad, Riverside Surgery")
    page.get_by_label("Clinical impression").fill("Unipolar depression, partial responses.")
    page.get_by_label("Plan").fill("Lithium augmentation after TSH and renal function.")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("report-draft")).to_have_count(0)
    expect(page.get_by_test_id("report-impression")).to_contain_text("Lithium augmentation")
    assert ReportPreparation.objects.get(episode__patient=patient).version == 1

    page.get_by_label("Include the appendix").check()
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as summary_info:
        page.get_by_test_id("download-pdf").click(no_wait_after=True)
    assert summary_info.value.suggested_filename.startswith("report-RN-J1-")

    page.get_by_test_id("open-letter").click()
    expect(page.get_by_test_id("report-letter")).to_contain_text("What we found")
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as letter_info:
        page.get_by_test_id("download-letter").click(no_wait_after=True)
    assert letter_info.value.suggested_filename.startswith("letter-RN-J1-")

    page.goto(f"/patients/{patient.pk}/report/")
    page.get_by_test_id("open-patient-summary").click()
    expect(page.get_by_test_id("patient-pending")).to_contain_text("pending remission")
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as patient_info:
        page.get_by_test_id("download-patient-summary").click(no_wait_after=True)
    assert patient_info.value.suggested_filename.startswith("summary-RN-J1-")

    for path in ("report.pdf?appendix=1", "report/letter.pdf", "report/patient.pdf"):
        response = page.request.get(f"/patients/{patient.pk}/{path}")
        assert response.headers["content-type"] == "application/pdf", path
        assert response.body().startswith(b"%PDF"), path
