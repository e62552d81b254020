from playwright.sync_api import expect

from records.demo import demo_clinic_create, vignette_record_number
from records.models import Patient
from records.staging import MODEL_NAMES
from staging.registry import ENGINES

V03_ASSESSED = "2025-01-20"


def test_psychiatrist_opens_the_staging_page_and_flips_the_strict_rule(page, transactional_db):
    accounts = demo_clinic_create(reset_passwords=True)
    account = next(a for a in accounts if a.role == "psychiatrist")
    patient = Patient.objects.get(record_number=vignette_record_number("V03"))

    page.goto("/signin/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.goto(f"/patients/{patient.pk}/staging/?on={V03_ASSESSED}")
    expect(
        page.get_by_role("heading", name="Staging of the treatments tried so far")
    ).to_be_visible()
    for engine in ENGINES:
        card = page.get_by_test_id(f"model-{engine.key}")
        # Each model named in full on its card: "Maudsley Staging Method (MSM)".
        expect(card).to_contain_text(MODEL_NAMES[engine.key])
        expect(
            page.get_by_test_id(f"model-{engine.key}-explanation").locator("li").first
        ).to_be_visible()
    expect(page.get_by_test_id("disagreements")).to_contain_text("same-class switches")
    expect(page.get_by_test_id("model-dm_trd-warning")).to_contain_text("provisional")
    expect(page.get_by_test_id("stage-chart").locator("svg").first).to_be_attached()
    expect(page.get_by_test_id("model-fda-result")).to_have_text("definition met")

    page.get_by_test_id("variant-strict").click()
    expect(page.get_by_test_id("model-fda-result")).to_have_text("definition not met")
    expect(page.get_by_test_id("model-msm-result")).to_have_text("not applicable")
    expect(page.get_by_test_id("variant-strict")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("stage-chart").locator("svg").first).to_be_attached()


def test_psychiatrist_sees_and_resets_an_imported_episode_s_own_parameters(page, transactional_db):
    accounts = demo_clinic_create(reset_passwords=True)
    account = next(a for a in accounts if a.role == "psychiatrist")
    patient = Patient.objects.get(record_number=vignette_record_number("V03-strict"))

    page.goto("/signin/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.goto(f"/patients/{patient.pk}/staging/?on={V03_ASSESSED}")
    own = page.get_by_test_id("own-parameters")
    expect(own).to_contain_text("This episode is staged with its own parameters")
    expect(own).to_contain_text("25 % reduction or less")
    expect(page.get_by_test_id("model-fda-result")).to_have_text("definition not met")

    own.get_by_test_id("change-own-parameters").click()
    page.get_by_role("button", name="Stage this episode with the clinic's defaults").click()
    expect(page.get_by_test_id("own-parameters")).to_have_count(0)
    page.goto(f"/patients/{patient.pk}/staging/?on={V03_ASSESSED}")
    expect(page.get_by_test_id("model-fda-result")).to_have_text("definition met")
