from playwright.sync_api import expect

from records.demo import demo_clinic_create


def demo_psychiatrist():
    accounts = demo_clinic_create(reset_passwords=True)
    return next(a for a in accounts if a.role == "psychiatrist")


def test_demo_psychiatrist_signs_in_sees_patients_and_signs_out(page, transactional_db):
    account = demo_psychiatrist()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to trdclinic")).to_be_visible()
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_test_id("patient-table")).to_contain_text("DEMO-001")
    expect(page.get_by_test_id("active-clinic")).to_have_text("Demo Clinic")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to trdclinic")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to trdclinic")).to_be_visible()


def test_wrong_password_shows_an_error(page, transactional_db):
    account = demo_psychiatrist()
    page.goto("/signin/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("correct username and password")
    expect(page.get_by_label("Username")).to_have_value(account.username)
