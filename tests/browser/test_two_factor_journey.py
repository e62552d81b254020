"""A supervisor enrols an authenticator app at first sign-in, then signs in with its codes and
with a recovery code (once); codes are computed with pyotp from the secret shown on the page."""

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from records.models import Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import device_code, totp_code

from .screenshots import screenshot, screenshots_wanted

# django-otp's back-off after one wrong code is one second (settings.OTP_TOTP_THROTTLE_FACTOR).
BACK_OFF_MS = 1_100


def password_step(page: Page, username: str) -> None:
    page.goto("/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def type_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def test_supervisor_enrols_then_signs_in_with_a_code_and_a_recovery_code(
    page: Page, transactional_db: None
) -> None:
    user = UserFactory(username="dr-sato", first_name="Aiko", last_name="Sato")
    MembershipFactory(user=user, clinic=ClinicFactory(name="Riverside"), role=Role.SUPERVISOR)

    password_step(page, "dr-sato")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_test_id("enrolment-qr").locator("svg")).to_be_visible()
    # Nothing else opens before the enrolment.
    page.goto("/cohort/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    if screenshots_wanted():
        for width in (820, 1440):
            page.set_viewport_size({"width": width, "height": 1000})
            screenshot(page, f"two_factor_enrolment_{width}")

    secret = page.get_by_test_id("enrolment-secret").inner_text()
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Keep your recovery codes")).to_contain_text(
        "Two-factor sign-in is set up"
    )
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(set(codes)) == 10
    page.get_by_test_id("recovery-codes-continue").click()
    expect(page.get_by_role("heading", name="Cohort")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # A wrong code is refused; the app's code, after django-otp's one-second back-off, opens.
    password_step(page, "dr-sato")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    device = TOTPDevice.objects.get(user=user)
    right = device_code(device)
    type_code(page, "000000" if right != "000000" else "111111")
    expect(page.get_by_text("That code is not right")).to_be_visible()
    page.wait_for_timeout(BACK_OFF_MS)
    type_code(page, right)
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # A recovery code opens once.
    password_step(page, "dr-sato")
    type_code(page, codes[0])
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    password_step(page, "dr-sato")
    type_code(page, codes[0])
    expect(page.get_by_text("That code is not right")).to_be_visible()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
