"""The review page reads clearly: one block per action, reasons that name it, factors in words."""

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from pseudoresistance.models import ImpasseCase, ImpasseCaseEvent
from records.models import Episode
from tests.factories import ImpasseCaseFactory

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    return reverse(f"pseudoresistance:{name}", args=args)


@pytest.fixture
def case(episode: Episode, psychiatrist: User) -> ImpasseCase:
    return ImpasseCaseFactory(episode=episode, flagged_by=psychiatrist)


def labels(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>|\s+", " ", label).strip()
        for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]


def test_under_review_the_hand_back_reason_is_its_own_block_not_under_sign_off(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    html = client.get(url("case", case.pk)).content.decode()
    sign_off = html.split('data-testid="sign-off-block"', 1)[1].split("</form>", 1)[0]
    assert "Why hand the case back" not in sign_off
    release = html.split('data-testid="release-block"', 1)[1].split("</details>", 1)[0]
    assert "<summary" in release
    assert "Why hand the case back" in release
    assert "Hand back to the queue" in release


def test_after_sign_off_each_reason_box_names_its_own_action(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase
) -> None:
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    signed = client.post(
        url("review-save", case.pk),
        {"findings": "F.", "next_steps": "N.", "version": "1", "action": "sign_off"},
    )
    assert signed.status_code == 302
    found = labels(client.get(url("case", case.pk)).content.decode())
    reasons = [label for label in found if label.startswith(("Why", "Reason"))]
    assert reasons == ["Why close the case *", "Why reopen the case *"]


def test_factors_are_offered_and_shown_in_words(
    signed_in: Callable[[User], Client],
    supervisor: User,
    case: ImpasseCase,
    verify_red_items: Callable[..., None],
    psychiatrist: User,
) -> None:
    client = signed_in(supervisor)
    client.post(url("review-start", case.pk))
    page = client.get(url("case", case.pk))
    choices = page.context["review_form"].fields["factors"].choices
    assert choices
    assert all(not re.match(r"^[A-F]\d+\b", label) for _code, label in choices)
    code = choices[0][0]
    client.post(
        url("review-save", case.pk),
        {
            "findings": "F.",
            "next_steps": "N.",
            "factors": [code],
            "version": "1",
            "action": "sign_off",
        },
    )
    html = client.get(url("case", case.pk)).content.decode()
    latest = html.split('data-testid="latest-review"', 1)[1].split("</dl>", 1)[0]
    assert f">{code}<" not in latest
    assert choices[0][1].split(" (")[0] in latest


def test_the_case_history_names_the_system_for_an_automatic_flag(
    signed_in: Callable[[User], Client], supervisor: User, case: ImpasseCase, psychiatrist: User
) -> None:
    case.origin = "automatic"
    case.save(update_fields=["origin"])
    ImpasseCaseEvent.objects.create(
        case=case,
        to_state="open",
        reason="Flagged automatically: X.",
        by=psychiatrist,
        at=case.flagged_at,
    )
    html = signed_in(supervisor).get(url("case", case.pk)).content.decode()
    history = html.split('data-testid="case-history"', 1)[1].split("</ol>", 1)[0]
    assert "the system" in history
    assert psychiatrist.get_full_name() not in history
