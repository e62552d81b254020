"""Views: authorise through records.access, validate a form, call one service, redirect."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pseudoresistance import services
from pseudoresistance.checklist_data import (
    ESCALATION_NOTE,
    PRE_ANSWERED_NOTE,
    SCREENS_NOTE,
    STATUS_CONFIRMATION_NOTE,
)
from pseudoresistance.checklist_page import (
    SectionSummary,
    domain_prefix,
    patient_trial_ids,
    record_url,
    section_summaries,
    trial_prefix,
)
from pseudoresistance.confirmation import status_confirmation
from pseudoresistance.forms import (
    ChecklistSectionForm,
    CssrsScreenForm,
    FlagForm,
    FlagRulesForm,
    QueueFilterForm,
    ReasonForm,
    ReviewForm,
)
from pseudoresistance.queue_rows import queue_rows_html
from pseudoresistance.selectors import (
    CASE_NOT_FOUND,
    DomainSection,
    EpisodeAssessment,
    EpisodePage,
    ReviewPage,
    TrialSection,
    case_review_page,
    clinic_psychiatrists,
    episode_assessment,
    episode_checklist,
    episode_cssrs_screens,
    episode_for_user,
    episode_safety_check,
    flag_rules_for,
    impasse_queue_page,
    scoped_cases,
)
from pseudoresistance.states import Transition, can
from records.access import NOT_ALLOWED_MESSAGE, ClinicAccess, Permission, clinic_access
from records.services import RecordPage, patient_record_opened, patient_records_opened
from records.services.common import StaleEditError

ANSWERS_SAVED = "Answers saved."
STATUS_CONFIRMED = "Status confirmed: it stands until the checklist or the records change it."
SECTION_NOT_FOUND = "No such section of this checklist."
OPEN_PARAM = "open"
SHOW_PARAM = "show"
CHECKLIST_SAVED_ANCHOR = "checklist-saved"
CASE_FLAGGED = "Flagged as an impasse case: it is in the supervisors' queue."
REVIEW_STARTED = "You are reviewing this case."
REVIEW_RELEASED = "The case is back in the queue."
REVIEW_SAVED = "Review saved as a draft."
NOT_SIGNED_OFF_KEPT = "Not signed off yet: what you wrote is saved as a draft."
REVIEW_SIGNED_OFF = "Review signed off: the psychiatrist sees it on the patient's page."
CASE_CLOSED = "The case is closed."
CASE_REOPENED = "The case is reopened and back in the queue."
SCREEN_RECORDED = "C-SSRS screen recorded: {level}."
RETURN_TO_EPISODE = "episode"
FLAG_RULES_SAVED = (
    "Flag rules saved: every episode of the clinic was checked again under them, and the queue "
    "shows the result."
)
FLAG_RULES_UNCHANGED = "Nothing changed: the flag rules are as they were."
NOTHING_SAVED = "Nothing was saved: see the fields marked below."


def _require_any(access: ClinicAccess, *permissions: Permission) -> None:
    if not any(access.can(permission) for permission in permissions):
        raise PermissionDenied(NOT_ALLOWED_MESSAGE.format(clinic=access.clinic.name))


def _refused(request: HttpRequest, error: ValidationError) -> bool:
    """Flash a refusal that concerns no field (a state, a case in progress); say if it was one."""
    fields = getattr(error, "error_dict", {})
    if any(name != NON_FIELD_ERRORS for name in fields):
        return False
    for message in error.messages:
        messages.error(request, message)
    return True


def _episode_url(episode_id: int, anchor: str = "") -> str:
    url = reverse("pseudoresistance:episode", args=[episode_id])
    return f"{url}#{anchor}" if anchor else url


def _case_url(case_id: int) -> str:
    return reverse("pseudoresistance:case", args=[case_id])


@dataclass(frozen=True)
class SectionBlock:
    """One section of the checklist page: its counts, its items' section, its form if shown."""

    summary: SectionSummary
    trial: TrialSection | None
    domain: DomainSection | None
    form: ChecklistSectionForm | None


def _sections(assessment: EpisodeAssessment) -> dict[str, TrialSection | DomainSection]:
    """Every section of the page keyed by its form prefix, in page order."""
    sections: dict[str, TrialSection | DomainSection] = {
        trial_prefix(section.trial.pk): section for section in assessment.trial_sections
    }
    sections |= {
        domain_prefix(section.domain.value): section for section in assessment.domain_sections
    }
    return sections


def _section_forms(
    assessment: EpisodeAssessment, prefixes: Iterable[str], data: Any = None
) -> dict[str, ChecklistSectionForm]:
    """The forms of the named sections (the ones shown or posted), bound to `data` when given."""
    sections = _sections(assessment)
    wanted = [prefix for prefix in sections if prefix in set(prefixes)]
    if not wanted:
        return {}
    trial_ids = patient_trial_ids(assessment.patient.pk)
    forms: dict[str, ChecklistSectionForm] = {}
    for prefix in wanted:
        section = sections[prefix]
        trial = section.trial if isinstance(section, TrialSection) else None
        links = {
            row.code: record_url(
                row.derived,
                patient_id=assessment.patient.pk,
                episode_id=assessment.episode.pk,
                trial=trial,
                trial_ids=trial_ids,
            )
            for row in section.rows
        }
        forms[prefix] = ChecklistSectionForm(data, rows=section.rows, links=links, prefix=prefix)
    return forms


def _render_episode(
    request: HttpRequest, access: ClinicAccess, page: EpisodePage, **bound: Any
) -> HttpResponse:
    """Render the episode's checklist page; `bound` holds forms that carry errors.

    Each section is collapsed and its items load when it is opened (htmx), so the page of a
    patient with many trials stays light; the sections asked for (`?open=`) or posted with an
    error are shown open.
    """
    assessment = page.assessment
    can_edit = access.can(Permission.EDIT_CLINICAL_DATA)
    forms = bound.get("forms")
    if forms is None:
        forms = _section_forms(assessment, request.GET.getlist(OPEN_PARAM))
    summaries = section_summaries(assessment)
    sections = _sections(assessment)
    blocks = [
        SectionBlock(
            summary=summaries[prefix],
            trial=section if isinstance(section, TrialSection) else None,
            domain=section if isinstance(section, DomainSection) else None,
            form=forms.get(prefix),
        )
        for prefix, section in sections.items()
    ]
    errors = [error for form in forms.values() for error in form.non_field_errors()]
    case = page.cases.case
    can_confirm = can_edit or access.can(Permission.REVIEW_IMPASSE)
    context = {
        "page": page,
        "assessment": assessment,
        "cases": page.cases,
        "blocks": blocks,
        # Each section's URL is this and its prefix: one reverse() for the page, not one each.
        "sections_url": reverse(
            "pseudoresistance:checklist-section", args=[assessment.episode.pk, "_"]
        ).removesuffix("_/"),
        "trial_blocks": [block for block in blocks if block.trial is not None],
        "domain_blocks": [block for block in blocks if block.domain is not None],
        "checklist_errors": errors,
        "saved_anchor": CHECKLIST_SAVED_ANCHOR,
        "can_edit": can_edit,
        "can_confirm": can_confirm,
        "confirmation": status_confirmation(assessment.episode.pk, assessment.status),
        "confirm_errors": bound.get("confirm_errors", ()),
        "can_flag": access.can(Permission.EDIT_CLINICAL_DATA)
        or access.can(Permission.REVIEW_IMPASSE),
        "can_review": access.can(Permission.REVIEW_IMPASSE),
        "flag_form": bound.get("flag_form") or FlagForm(),
        "close_form": bound.get("close_form") or ReasonForm(prefix="close"),
        "reopen_form": bound.get("reopen_form") or ReasonForm(prefix="reopen"),
        "can_close": case is not None and can(Transition.CLOSE, case.current_state),
        "can_reopen": case is not None and can(Transition.REOPEN, case.current_state),
        "pre_answered_note": PRE_ANSWERED_NOTE,
        "escalation_note": ESCALATION_NOTE,
        "screens_note": SCREENS_NOTE,
        "confirmation_note": STATUS_CONFIRMATION_NOTE,
    }
    return render(request, "pseudoresistance/episode_checklist.html", context)


@require_GET
def episode_page(request: HttpRequest, episode_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    page = episode_checklist(access=access, episode_id=episode_id)
    patient_record_opened(access=access, patient=page.assessment.patient, page=RecordPage.CHECKLIST)
    return _render_episode(request, access, page)


@require_GET
def checklist_section(request: HttpRequest, episode_id: int, prefix: str) -> HttpResponse:
    """One section's items, loaded into the page when the clinician opens the section (htmx)."""
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    episode = episode_for_user(access=access, episode_id=episode_id)
    forms = _section_forms(episode_assessment(episode), [prefix])
    if prefix not in forms:
        raise Http404(SECTION_NOT_FOUND)
    # The section shows the patient's answers: its opening is a view of the record like the page.
    patient_record_opened(access=access, patient=episode.patient, page=RecordPage.CHECKLIST)
    context = {
        "form": forms[prefix],
        "can_edit": access.can(Permission.EDIT_CLINICAL_DATA),
    }
    return render(request, "pseudoresistance/_section_form.html", context)


def _trial_of(prefix: str) -> int | None:
    return int(prefix[1:]) if prefix.startswith("t") else None


def _posted(data: Any, prefix: str, code: str = "") -> bool:
    """Whether the section `prefix` (for item `code`, when given) carries anything written."""
    return any(
        key.startswith(f"{prefix}-") and key.endswith(f"_{code}" if code else "") and data.get(key)
        for key in data
    )


def _shown(data: Any, prefix: str) -> bool:
    """Whether the section `prefix` was on the page when it was posted (its fields came back)."""
    return any(key.startswith(f"{prefix}-") for key in data)


def _saved_url(episode_id: int, prefixes: Iterable[str]) -> str:
    """The page again with the sections the clinician had open, at the save bar."""
    url = reverse("pseudoresistance:episode", args=[episode_id])
    query = urlencode([(OPEN_PARAM, prefix) for prefix in prefixes])
    return (
        f"{url}?{query}#{CHECKLIST_SAVED_ANCHOR}"
        if query
        else _episode_url(episode_id, CHECKLIST_SAVED_ANCHOR)
    )


@require_POST
def checklist_answers_save(request: HttpRequest, episode_id: int) -> HttpResponse:
    """Save the whole checklist in one form: an answer in one section never discards another.

    Only the sections that were on the page are read: a collapsed section posts nothing and
    keeps its answers. `show` names a section to open after saving (the no-JavaScript way to
    open one without losing the answers given in the others).
    """
    access = clinic_access(request)
    episode_for_user(access=access, episode_id=episode_id)
    access.require(Permission.EDIT_CLINICAL_DATA)
    page = episode_checklist(access=access, episode_id=episode_id)
    sections = _sections(page.assessment)
    posted = [prefix for prefix in sections if _shown(request.POST, prefix)]
    forms = _section_forms(page.assessment, posted, request.POST)
    # Validate every section (no short cut), so each shows its own errors.
    valid = [form.is_valid() for form in forms.values()]
    if all(valid):
        answers = [
            answer
            for prefix, form in forms.items()
            for answer in form.answer_inputs(_trial_of(prefix))
        ]
        try:
            services.checklist_answers_record(
                acting_user=request.user, episode_id=episode_id, answers=answers
            )
        except ValidationError as error:
            _place_errors(error, forms, request.POST)
        else:
            show = request.POST.get(SHOW_PARAM, "")
            opened = [*forms, show] if show in sections and show not in forms else forms
            if any(answer.answer for answer in answers):
                messages.success(request, ANSWERS_SAVED)
            # The message shows in the save bar, where the clinician is.
            return redirect(_saved_url(episode_id, opened))
    return _render_episode(request, access, page, forms=forms)


@require_POST
def status_confirm(request: HttpRequest, episode_id: int) -> HttpResponse:
    """Confirm the case status as shown; refused with a message when it changed meanwhile."""
    access = clinic_access(request)
    episode_for_user(access=access, episode_id=episode_id)
    _require_any(access, Permission.EDIT_CLINICAL_DATA, Permission.REVIEW_IMPASSE)
    try:
        services.checklist_status_confirm(
            acting_user=request.user,
            episode_id=episode_id,
            status_text=request.POST.get("status_text", ""),
        )
    except ValidationError as error:
        page = episode_checklist(access=access, episode_id=episode_id)
        return _render_episode(request, access, page, confirm_errors=error.messages)
    messages.success(request, STATUS_CONFIRMED)
    return redirect(_episode_url(episode_id, "case-status"))


def _place_errors(
    error: ValidationError, forms: dict[str, ChecklistSectionForm], data: Any
) -> None:
    """Put each service error next to the field of the section that posted it, the rest on top."""
    unplaced: list[ValidationError] = []
    by_field = (
        error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    )
    for name, errors in by_field.items():
        code = name.rsplit("_", 1)[-1]
        owner = next(
            (
                form
                for prefix, form in forms.items()
                if name in form.fields and _posted(data, prefix, code)
            ),
            None,
        )
        if owner is None:
            unplaced.extend(errors)
        else:
            owner.add_error(name, errors)
    if unplaced:
        next(iter(forms.values())).add_error(None, unplaced)


@require_POST
def case_flag(request: HttpRequest, episode_id: int) -> HttpResponse:
    access = clinic_access(request)
    episode_for_user(access=access, episode_id=episode_id)
    _require_any(access, Permission.EDIT_CLINICAL_DATA, Permission.REVIEW_IMPASSE)
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            services.impasse_case_flag(
                acting_user=request.user, episode_id=episode_id, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            if _refused(request, error):
                return redirect(_episode_url(episode_id, "impasse-case"))
            form.add_service_errors(error)
        else:
            messages.success(request, CASE_FLAGGED)
            return redirect(_episode_url(episode_id, "impasse-case"))
    page = episode_checklist(access=access, episode_id=episode_id)
    return _render_episode(request, access, page, flag_form=form)


def _queue_page_links(request: HttpRequest, page: Page[Any]) -> dict[str, str]:
    """Return the previous and next pages' URLs, keeping the queue's filters."""
    links = {}
    for name, available, number in (
        ("previous", page.has_previous(), page.number - 1),
        ("next", page.has_next(), page.number + 1),
    ):
        if available:
            query = request.GET.copy()
            query["page"] = str(number)
            links[name] = f"?{query.urlencode()}"
    return links


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.REVIEW_IMPASSE)
    form = QueueFilterForm(request.GET or None, psychiatrists=clinic_psychiatrists(access=access))
    filters: dict[str, Any] = {}
    criterion = ""
    if form.is_bound and form.is_valid():
        filters = {
            "psychiatrist_id": form.cleaned_data["psychiatrist"],
            "state": form.cleaned_data["state"],
        }
        criterion = form.cleaned_data["criterion"]
    found = impasse_queue_page(
        access=access, criterion=criterion, page=request.GET.get("page"), **filters
    )
    form.count_criteria(found.criterion_counts)
    # The record-access log names every patient the page showed: this page's rows.
    patient_records_opened(
        access=access,
        patients=[row.case.patient for row in found.rows],
        page=RecordPage.IMPASSE_QUEUE,
    )
    context = {
        "form": form,
        "rows": found.rows,
        "page": found.page,
        "page_links": _queue_page_links(request, found.page),
        "queue_rows": queue_rows_html(found.rows),
    }
    return render(request, "pseudoresistance/queue.html", context)


def _render_case(
    request: HttpRequest, access: ClinicAccess, page: ReviewPage, **bound: Any
) -> HttpResponse:
    review = page.cases.review_in_progress
    case = page.case
    reviewing = review is not None and review.reviewer_id == access.user.pk
    review_form = bound.get("review_form")
    if review_form is None and reviewing and review is not None:
        review_form = ReviewForm(
            initial={
                "findings": review.findings,
                "factors": [item.code for item in review.factors.all()],
                "factors_note": review.factors_note,
                "next_steps": review.next_steps,
                "follow_up_date": review.follow_up_date,
                "safety_note": review.safety_note,
                "version": review.version,
            },
            factor_choices=_factor_choices(page),
        )
    state = case.current_state
    context = {
        "page": page,
        "case": case,
        "assessment": page.assessment,
        "cases": page.cases,
        "reviewing": reviewing,
        "review_form": review_form,
        "release_form": bound.get("release_form") or ReasonForm(prefix="release"),
        "close_form": bound.get("close_form") or ReasonForm(prefix="close"),
        "reopen_form": bound.get("reopen_form") or ReasonForm(prefix="reopen"),
        "can_start": can(Transition.START_REVIEW, state) and page.review_conflict is None,
        "can_release": can(Transition.RELEASE, state),
        "can_close": can(Transition.CLOSE, state),
        "can_reopen": can(Transition.REOPEN, state),
        "confirmation_note": STATUS_CONFIRMATION_NOTE,
        "confirmation": status_confirmation(case.episode_id, page.assessment.status),
        "can_confirm": access.can(Permission.REVIEW_IMPASSE),
        "safety": episode_safety_check(episode_id=case.episode_id),
        "screens": episode_cssrs_screens(episode_id=case.episode_id),
        "screen_form": bound.get("screen_form")
        or CssrsScreenForm(initial={"screened_on": timezone.localdate()}),
    }
    return render(request, "pseudoresistance/case_review.html", context)


def _factor_choices(page: ReviewPage) -> list[tuple[str, str]]:
    """Offer the checklist concerns that stand, and any factor already chosen."""
    status = page.assessment.status
    codes = {f.item.code for f in (*status.red_concerns, *status.contributors)}
    codes |= {f.item.code for f in status.process_concerns}
    review = page.cases.review_in_progress
    if review is not None:
        codes |= {item.code for item in review.factors.all()}
    return [(item.code, item.question) for item in page.assessment.items if item.code in codes]


@require_GET
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    access = clinic_access(request)
    page = case_review_page(access=access, case_id=case_id)
    patient_record_opened(access=access, patient=page.case.patient, page=RecordPage.IMPASSE_CASE)
    return _render_case(request, access, page)


def _case_scoped(request: HttpRequest, case_id: int) -> ClinicAccess:
    """Return the access after refusing a case outside the active clinic (404 before 403)."""
    access = clinic_access(request)
    if not scoped_cases(access).filter(pk=case_id).exists():
        raise Http404(CASE_NOT_FOUND)
    return access


@require_POST
def review_start(request: HttpRequest, case_id: int) -> HttpResponse:
    access = _case_scoped(request, case_id)
    access.require(Permission.REVIEW_IMPASSE)
    try:
        services.impasse_review_start(acting_user=request.user, case_id=case_id)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, REVIEW_STARTED)
    return redirect(_case_url(case_id))


@require_POST
def review_save(request: HttpRequest, case_id: int) -> HttpResponse:
    access = _case_scoped(request, case_id)
    access.require(Permission.REVIEW_IMPASSE)
    page = case_review_page(access=access, case_id=case_id)
    form = ReviewForm(request.POST, factor_choices=_factor_choices(page))
    sign_off = request.POST.get("action") == "sign_off"
    if form.is_valid():
        write = services.impasse_review_sign_off if sign_off else services.impasse_review_save
        try:
            write(
                acting_user=request.user,
                case_id=case_id,
                data=form.review_input(),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            if sign_off:
                form = _kept_as_draft(request, case_id, form, page)
            form.add_service_errors(error)
        else:
            messages.success(request, REVIEW_SIGNED_OFF if sign_off else REVIEW_SAVED)
            return redirect(_case_url(case_id))
    return _render_case(request, access, page, review_form=form)


def _kept_as_draft(
    request: HttpRequest, case_id: int, form: ReviewForm, page: ReviewPage
) -> ReviewForm:
    """Save a refused sign-off's text as the draft, so the next step (a C-SSRS screen) keeps it.

    Returns the form bound to the new draft version; the same form when the draft is refused too.
    """
    try:
        draft = services.impasse_review_save(
            acting_user=request.user,
            case_id=case_id,
            data=form.review_input(),
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError:
        return form
    data = request.POST.copy()
    data["version"] = str(draft.version)
    kept = ReviewForm(data, factor_choices=_factor_choices(page))
    kept.is_valid()
    messages.info(request, NOT_SIGNED_OFF_KEPT)
    return kept


def _reason_action(
    request: HttpRequest,
    case_id: int,
    *,
    prefix: str,
    action: Callable[..., object],
    done: str,
    permissions: tuple[Permission, ...],
) -> HttpResponse:
    access = _case_scoped(request, case_id)
    _require_any(access, *permissions)
    form = ReasonForm(request.POST, prefix=prefix)
    # Psychiatrists act from the episode page, supervisors from the case page.
    to_episode = request.POST.get("return_to") == RETURN_TO_EPISODE or not access.can(
        Permission.REVIEW_IMPASSE
    )
    case = scoped_cases(access).get(pk=case_id)
    back = _episode_url(case.episode_id, "impasse-case") if to_episode else _case_url(case_id)
    if form.is_valid():
        try:
            action(acting_user=request.user, case_id=case_id, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if _refused(request, error):
                return redirect(back)
            form.add_service_errors(error)
        else:
            messages.success(request, done)
            return redirect(back)
    if to_episode:
        page = episode_checklist(access=access, episode_id=case.episode_id)
        return _render_episode(request, access, page, **{f"{prefix}_form": form})
    review_page = case_review_page(access=access, case_id=case_id)
    return _render_case(request, access, review_page, **{f"{prefix}_form": form})


@require_POST
def review_release(request: HttpRequest, case_id: int) -> HttpResponse:
    return _reason_action(
        request,
        case_id,
        prefix="release",
        action=services.impasse_review_release,
        done=REVIEW_RELEASED,
        permissions=(Permission.REVIEW_IMPASSE,),
    )


@require_POST
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    return _reason_action(
        request,
        case_id,
        prefix="close",
        action=services.impasse_case_close,
        done=CASE_CLOSED,
        permissions=(Permission.EDIT_CLINICAL_DATA, Permission.REVIEW_IMPASSE),
    )


@require_POST
def case_reopen(request: HttpRequest, case_id: int) -> HttpResponse:
    return _reason_action(
        request,
        case_id,
        prefix="reopen",
        action=services.impasse_case_reopen,
        done=CASE_REOPENED,
        permissions=(Permission.EDIT_CLINICAL_DATA, Permission.REVIEW_IMPASSE),
    )


@require_http_methods(["GET", "POST"])
def flag_rules_page(request: HttpRequest) -> HttpResponse:
    """Show and change which criteria open an impasse case in the clinic (clinic admins)."""
    access = clinic_access(request, Permission.MANAGE_CLINIC)
    rules = flag_rules_for(access)
    loaded = rules.version if rules.pk is not None else 0
    if request.method != "POST":
        form = FlagRulesForm(initial=FlagRulesForm.initial_for(rules, loaded))
        return _render_flag_rules(request, access, rules, form)
    form = FlagRulesForm(request.POST)
    if form.is_valid():
        expected = form.cleaned_data["version"]
        try:
            saved = services.impasse_flag_rules_update(
                acting_user=request.user,
                clinic_id=access.clinic.pk,
                data=form.rules_input(),
                expected_version=expected,
            )
        except StaleEditError as error:
            # Resubmitting after reading the changes must not be refused again.
            data = request.POST.copy()
            data["version"] = str(loaded)
            form = FlagRulesForm(data)
            form.is_valid()
            form.add_service_errors(error)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if (saved.version if saved.pk is not None else 0) != expected:
                messages.success(request, FLAG_RULES_SAVED)
            else:
                messages.info(request, FLAG_RULES_UNCHANGED)
            return redirect("pseudoresistance:settings-flag-rules")
    messages.error(request, NOTHING_SAVED)
    return _render_flag_rules(request, access, rules, form)


def _render_flag_rules(
    request: HttpRequest, access: ClinicAccess, rules: Any, form: FlagRulesForm
) -> HttpResponse:
    context = {"clinic_name": access.clinic.name, "rules": rules, "form": form}
    return render(request, "pseudoresistance/settings_flag_rules.html", context)


@require_POST
def cssrs_screen_save(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record a C-SSRS screen for the case's episode, from the review page."""
    access = _case_scoped(request, case_id)
    access.require(Permission.REVIEW_IMPASSE)
    case = scoped_cases(access).get(pk=case_id)
    form = CssrsScreenForm(request.POST)
    if form.is_valid():
        try:
            screen = services.cssrs_screen_record(
                acting_user=request.user, episode_id=case.episode_id, data=form.screen_input()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            level = screen.get_risk_level_display().lower()
            messages.success(request, SCREEN_RECORDED.format(level=level))
            return redirect(f"{_case_url(case_id)}#safety")
    page = case_review_page(access=access, case_id=case_id)
    return _render_case(request, access, page, screen_form=form)
