"""Sign-in, the open pages, and clear answers for users and URLs that lead nowhere."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import verified_login


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_sign_in_from_the_patient_list(client):
    response = client.get(reverse("records:patient-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_sign_in_page_is_open(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in to trdclinic" in response.content


def test_wrong_password_shows_an_error_next_to_the_form(client, psychiatrist):
    response = client.post(
        reverse("login"), {"username": psychiatrist.username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_right_password_lands_on_the_patient_list(client, clinic, psychiatrist):
    # A psychiatrist of a clinic that asks two-factor sign-in of admins and supervisors only.
    clinic.two_factor_required = False
    clinic.save(update_fields=["two_factor_required"])
    response = client.post(
        reverse("login"),
        {"username": psychiatrist.username, "password": DEFAULT_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("records:patient-list")
    assert b"Patients" in response.content


@pytest.mark.django_db
def test_health_check_is_open_and_reports_the_database(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


@pytest.mark.django_db
def test_user_without_membership_is_told_why(client):
    verified_login(client, UserFactory())
    response = client.get(reverse("records:patient-list"))
    assert response.status_code == 403
    assert b"not a member of any clinic" in response.content


def test_unknown_url_gets_the_products_404_page(signed_in, psychiatrist):
    response = signed_in(psychiatrist).get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"trdclinic" in response.content


@pytest.mark.django_db
def test_unknown_url_for_anonymous_user_is_404_not_a_stack_trace(client):
    response = client.get("/no/such/page/")
    assert response.status_code in {302, 404}


def test_sign_out_requires_post_and_ends_the_session(signed_in, psychiatrist):
    client = signed_in(psychiatrist)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
