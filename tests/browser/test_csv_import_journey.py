"""A psychiatrist imports trial histories from a CSV file: a mistake first, then the import."""

from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

from records.csv_sample import HEADER, sample_csv
from records.models import Role, TreatmentTrial
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step


def test_psychiatrist_corrects_the_file_checks_it_and_imports_it(
    page: Page, transactional_db: None, tmp_path: Path
) -> None:
    user = UserFactory(username="dr-okafor")
    MembershipFactory(user=user, clinic=ClinicFactory(name="Riverside"), role=Role.PSYCHIATRIST)
    authenticator_for(user)
    page.goto("/")
    page.get_by_label("Username").fill("dr-okafor")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    browser_code_step(page, user)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    text = sample_csv(rows=6, patients=2, seed=5)
    lines = text.splitlines()
    cells = lines[2].split(",")
    cells[HEADER.index("kind")] = "pill"
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("\n".join([*lines[:2], ",".join(cells)]))
    page.goto(reverse("records:import-csv"))
    page.get_by_label("Trial histories (.csv)").set_input_files(str(wrong))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("import-problems")).to_contain_text("row 3, column kind")

    right = tmp_path / "trials.csv"
    right.write_text(text)
    page.get_by_label("Trial histories (.csv)").set_input_files(str(right))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_test_id("count-trials")).to_have_text("6")
    expect(page.get_by_test_id("count-new-patients")).to_have_text("2")
    assert TreatmentTrial.objects.count() == 0

    page.get_by_role("button", name="Import 6 trials").click()
    expect(page.get_by_role("alert")).to_contain_text("Imported 6 trials of 2 patients")
    assert TreatmentTrial.objects.count() == 6
