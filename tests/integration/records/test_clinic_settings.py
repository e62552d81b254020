"""The clinic admin's settings pages: letterhead and the clinic's own agents, audited (issue 13)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from records.models import Agent, AuditAction, AuditEvent, Clinic, Role
from records.models.clinic import LOGO_NOT_IMAGE
from tests.factories import AgentFactory, TrialFactory

pytestmark = pytest.mark.django_db

LETTERHEAD = reverse("records:settings-letterhead")
AGENTS = reverse("records:settings-agents")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (20, 60, 120)).save(out, format="PNG")
    return out.getvalue()


def letterhead(**overrides):
    return {"name": "Riverside Clinic", "address": "2 Quay", "paper_size": "A4", **overrides}


def agent_data(**overrides):
    return {
        "name": "gepirone",
        "molecule": "",
        "drug_class": "other",
        "role": "antidepressant",
        "minimum_dose_mg_per_day": "18.2",
        "minimum_serum_level_mmol_per_l": "",
        "minimum_weeks": "",
        "source": "Clinic formulary",
        **overrides,
    }


def test_clinic_admin_changes_the_letterhead_audited(signed_in, clinic_admin, clinic, media_root):
    client = signed_in(clinic_admin)
    page = client.get(LETTERHEAD)
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == clinic.name
    logo = SimpleUploadedFile("logo.png", png(), "image/png")
    response = client.post(LETTERHEAD, {**letterhead(address="2 Quay\nRiverside"), "logo": logo})
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.address == "2 Quay\nRiverside"
    assert clinic.logo.name.startswith("clinic-logos/")
    event = AuditEvent.objects.get(object_type="clinic", object_id=clinic.pk)
    assert (event.action, event.actor_id, event.clinic_id) == (
        AuditAction.UPDATE,
        clinic_admin.pk,
        clinic.pk,
    )
    assert set(event.changes) == {"address", "logo"}


def test_an_unchanged_letterhead_writes_no_event(signed_in, clinic_admin, clinic):
    client = signed_in(clinic_admin)
    response = client.post(LETTERHEAD, letterhead(name=clinic.name, address=clinic.address))
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_a_non_image_logo_is_refused_beside_the_field(signed_in, clinic_admin, clinic, media_root):
    logo = SimpleUploadedFile("logo.png", b"not an image", "image/png")
    response = signed_in(clinic_admin).post(LETTERHEAD, {**letterhead(), "logo": logo})
    assert response.status_code == 200
    assert LOGO_NOT_IMAGE in response.context["form"].errors["logo"]
    clinic.refresh_from_db()
    assert not clinic.logo
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("name", "N" * 201), ("name", "Hillside Clinic"), ("paper_size", "A0")],
)
def test_invalid_letterheads_are_refused_beside_the_field(
    signed_in, clinic_admin, clinic, other_clinic, field, value
):
    response = signed_in(clinic_admin).post(LETTERHEAD, letterhead(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Clinic.objects.get(pk=clinic.pk).name == "Riverside Clinic"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_other_roles_get_403(signed_in, member, clinic, role):
    client = signed_in(member(role))
    for url in (LETTERHEAD, AGENTS, reverse("records:settings-agent-create")):
        assert client.get(url).status_code == 403
    assert client.post(LETTERHEAD, letterhead(name="Renamed")).status_code == 403
    assert Clinic.objects.get(pk=clinic.pk).name == "Riverside Clinic"


def test_settings_change_only_the_admins_own_clinic(signed_in, member, clinic, other_clinic):
    client = signed_in(member(Role.CLINIC_ADMIN, in_clinic=other_clinic))
    client.post(LETTERHEAD, letterhead(name="Renamed"))
    assert Clinic.objects.get(pk=clinic.pk).name == "Riverside Clinic"


def test_the_settings_pages_link_each_other(signed_in, clinic_admin):
    client = signed_in(clinic_admin)
    for url in (LETTERHEAD, AGENTS, reverse("records:clinic-staging-defaults")):
        page = client.get(url).content.decode()
        assert 'data-testid="settings-nav"' in page
        for target in (LETTERHEAD, AGENTS, reverse("records:clinic-staging-defaults")):
            assert f'href="{target}"' in page


def test_clinic_admin_adds_changes_and_removes_an_agent(signed_in, clinic_admin, clinic):
    client = signed_in(clinic_admin)
    response = client.post(reverse("records:settings-agent-create"), agent_data())
    assert response.status_code == 302
    agent = Agent.objects.get(clinic=clinic, name="gepirone")
    assert client.get(AGENTS).context["agents"][0] == agent
    url = reverse("records:settings-agent-update", args=[agent.pk])
    assert client.get(url).context["form"].initial["name"] == "gepirone"
    assert client.post(url, agent_data(minimum_dose_mg_per_day="20")).status_code == 302
    agent.refresh_from_db()
    assert str(agent.minimum_dose_mg_per_day) == "20.0000"
    delete = reverse("records:settings-agent-delete", args=[agent.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not Agent.objects.filter(pk=agent.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="agent", object_id=agent.pk)
        .order_by("id")
        .values_list("action", "actor_id", "clinic_id")
    )
    assert actions == [
        (AuditAction.CREATE, clinic_admin.pk, clinic.pk),
        (AuditAction.UPDATE, clinic_admin.pk, clinic.pk),
        (AuditAction.DELETE, clinic_admin.pk, clinic.pk),
    ]


def test_an_agent_named_like_a_builtin_is_a_field_error(signed_in, clinic_admin):
    response = signed_in(clinic_admin).post(
        reverse("records:settings-agent-create"), agent_data(name="SERTRALINE")
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "g" * 101),
        ("minimum_dose_mg_per_day", "1e400"),
        ("minimum_dose_mg_per_day", "-3"),
        ("drug_class", "poison"),
        ("source", ""),
    ],
)
def test_invalid_agents_are_refused_beside_the_field(signed_in, clinic_admin, field, value):
    response = signed_in(clinic_admin).post(
        reverse("records:settings-agent-create"), agent_data(**{field: value})
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Agent.objects.filter(clinic__isnull=False).exists()


def test_an_agent_in_use_stays_with_a_clear_message(signed_in, clinic_admin, clinic, episode):
    agent = AgentFactory(clinic=clinic, name="gepirone")
    TrialFactory(episode=episode, agent=agent)
    response = signed_in(clinic_admin).post(
        reverse("records:settings-agent-delete", args=[agent.pk])
    )
    assert response.status_code == 200
    assert "stays in the catalogue" in response.content.decode()
    assert Agent.objects.filter(pk=agent.pk).exists()


def test_builtin_and_other_clinics_agents_are_404(signed_in, clinic_admin, other_clinic):
    client = signed_in(clinic_admin)
    foreign = AgentFactory(clinic=other_clinic, name="foreign-drug")
    builtin = Agent.objects.filter(clinic=None).first()
    for agent in (foreign, builtin):
        for name in ("settings-agent-update", "settings-agent-delete"):
            url = reverse(f"records:{name}", args=[agent.pk])
            assert client.get(url).status_code == 404
            assert client.post(url, agent_data()).status_code == 404
    assert Agent.objects.filter(pk=foreign.pk, name="foreign-drug").exists()
    assert not AuditEvent.objects.exists()
