"""A clinic admin invites a psychiatrist, who sets a password through the link, enrols an
authenticator app (codes computed with pyotp) and signs in with a code; the admin then sees the
events in the clinic's audit log (issue 13). Screenshots of the Team page at 820 and 1440 pixels
go to TRDCLINIC_SCREENSHOTS when it names a folder (tests/browser/screenshots.py)."""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from records.models import Role
from records.services.two_factor import SET_UP
from tests.factories import ClinicFactory, MembershipFactory, UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import authenticator_for, browser_code_step, totp_code

from .screenshots import screenshot

NEW_PASSWORD = "lantern-tundra-quietly-87"
# For a person to look at (the page's layout at a tablet's and a desktop's width).


def _last_step(username: str) -> int:
    """Return the time step of the code the app last gave (each code is accepted once)."""
    return TOTPDevice.objects.get(user__username=username, confirmed=True).last_t


def sign_in(page, username: str, password: str) -> None:
    page.goto("/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_invites_a_psychiatrist_who_sets_a_password_and_signs_in(page, transactional_db):
    clinic = ClinicFactory(name="Riverside Clinic")
    admin = UserFactory(username="riverside.admin", first_name="Alex", last_name="Admin")
    MembershipFactory(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
    for number in range(3):
        MembershipFactory(
            clinic=clinic,
            user=UserFactory(username=f"colleague{number}", email=f"c{number}@example.org"),
        )

    authenticator_for(admin)
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, admin.username, DEFAULT_PASSWORD)
    browser_code_step(page, admin)
    page.get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team of Riverside Clinic")).to_be_visible()
    page.get_by_test_id("invite-person").click()
    form = page.get_by_test_id("invite-form")
    form.get_by_label("Username").fill("priya.nair")
    form.get_by_label("First name").fill("Priya")
    form.get_by_label("Last name").fill("Nair")
    form.get_by_label("Email address").fill("priya@example.org")
    form.get_by_label("Role").select_option(Role.PSYCHIATRIST)
    form.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    form.get_by_role("button", name="Create the account and the link").click()
    link = page.get_by_test_id("invitation-link").input_value()
    assert "/invitation/" in link

    page.goto("/clinic/team/")
    expect(page.get_by_test_id("team-row-priya.nair")).to_contain_text("Invited")
    screenshot(page, "team-1440")
    page.set_viewport_size({"width": 820, "height": 1000})
    screenshot(page, "team-820")
    page.get_by_role("link", name="Priya Nair").click()
    # Waited for, as the screenshots (now taken only when asked) used to make the test wait.
    expect(page.get_by_role("heading", name="Priya Nair")).to_be_visible()
    screenshot(page, "team-member-820")
    # At this width the navigation folds behind its toggle.
    page.get_by_role("button", name="Show navigation").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    screenshot(page, "team-nav-820", full_page=False)
    page.get_by_role("button", name="Sign out").click()
    # Signed out before the invitation is opened: a still-running sign-out races the next page.
    expect(page.get_by_role("heading", name="Sign in to trdclinic")).to_be_visible()
    page.set_viewport_size({"width": 1440, "height": 900})

    page.goto(link)
    expect(page.get_by_test_id("invited-username")).to_have_text("priya.nair")
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Sign in to trdclinic")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Your password is set")
    # The clinic asks everyone for a second factor: enrolment comes right after the password.
    sign_in(page, "priya.nair", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    secret = page.get_by_test_id("enrolment-secret").inner_text()
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_test_id("recovery-codes-continue").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    # Next time: password, then a code from the app.
    sign_in(page, "priya.nair", NEW_PASSWORD)
    page.get_by_label("Code").fill(totp_code(secret, after_step=_last_step("priya.nair")))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("Priya Nair")
    page.get_by_role("button", name="Sign out").click()

    # The link is spent.
    page.goto(link)
    expect(page.get_by_test_id("invitation-refused")).to_contain_text("already been used")

    sign_in(page, admin.username, DEFAULT_PASSWORD)
    browser_code_step(page, admin)
    page.get_by_role("link", name="Audit log").click()
    events = page.get_by_test_id("account-events")
    created = events.locator("tr", has_text="riverside.admin").filter(has_text="priya.nair")
    expect(created).to_contain_text("Created")
    password_set = events.locator("tr", has_text="set through the invitation link")
    expect(password_set).to_contain_text("priya.nair")
    page.get_by_role("link", name="Priya Nair").click()
    expect(page.get_by_test_id("audit-table")).to_contain_text("set through the invitation link")
    expect(page.get_by_test_id("audit-table")).to_contain_text(SET_UP)
