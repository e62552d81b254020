"""The demo clinic's impasse work: one review signed off, so a newcomer sees how a review ends.

Made through the services a supervisor's sign-off goes through (audited like theirs), once: a
clinic whose demo users have started any review keeps its own.
"""

from django.contrib.auth.models import User

from records.models import Clinic

from .models import ImpasseCase, ImpasseReview
from .selectors import episode_safety_check
from .services import ReviewInput, impasse_review_sign_off, impasse_review_start
from .states import CaseState

DEMO_REVIEW = ReviewInput(
    findings=(
        "Two antidepressant courses were adequate in dose and length; adherence was confirmed "
        "with the patient and pharmacy. No psychotherapy has been tried yet."
    ),
    next_steps=(
        "Refer for a course of cognitive behavioural therapy alongside the current medication; "
        "repeat the depression rating in four weeks."
    ),
)


def demo_review_create(*, clinic: Clinic, supervisor: User) -> None:
    """Sign off a review of the first open case without a safety alert, unless one exists."""
    if ImpasseReview.objects.filter(case__patient__clinic=clinic).exists():
        return
    cases = ImpasseCase.objects.filter(patient__clinic=clinic, state=CaseState.OPEN)
    case = next(
        (
            case
            for case in cases.order_by("patient__record_number")
            if not episode_safety_check(episode_id=case.episode_id).needs_acknowledgement
        ),
        None,
    )
    if case is None:
        return
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    impasse_review_sign_off(
        acting_user=supervisor, case_id=case.pk, data=DEMO_REVIEW, expected_version=review.version
    )
