"""Every page names trdclinic's icon, so no browser asks for a missing /favicon.ico."""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse

ICON_LINK = f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">'


def test_the_icon_is_a_static_svg():
    path = finders.find("favicon.svg")
    assert path is not None
    with open(path, encoding="utf-8") as icon:
        assert icon.read().startswith("<svg")


def test_the_sign_in_page_and_the_app_pages_link_the_icon(client, signed_in, psychiatrist):
    assert ICON_LINK in client.get(reverse("login")).content.decode()
    page = signed_in(psychiatrist).get(reverse("records:patient-list")).content.decode()
    assert ICON_LINK in page


def test_the_admin_and_the_error_page_link_the_icon(client):
    assert ICON_LINK in client.get(reverse("admin:login")).content.decode()
    assert ICON_LINK in render_to_string("500.html")
