"""The demo clinic's impasse work: one review signed off, so a newcomer sees how a review ends.

Made through the services a supervisor's sign-off goes through (audited like theirs), once: a
clinic whose demo users have started any review keeps its own. The review is of the vignette
whose courses mostly do not count (V02, "inadequate trials that must not count"), and its words
state only what that patient's record holds.
"""

from django.contrib.auth.models import User

from records.demo import vignette_record_number
from records.models import Clinic

from .models import ImpasseCase, ImpasseReview
from .selectors import episode_safety_check
from .services import ReviewInput, impasse_review_sign_off, impasse_review_start
from .states import CaseState

DEMO_REVIEW_VIGNETTE = "V02"
DEMO_REVIEW = ReviewInput(
    findings=(
        "Most courses do not count as adequate trials: citalopram was given at 10 mg/day, below "
        "its minimum dose; fluoxetine was stopped at week 3 for nausea; escitalopram was taken on "
        "about half of the days (pharmacy refills); quetiapine at 50 mg/day is below its "
        "augmenting dose. Only mirtazapine 30 mg/day for 8 weeks was adequate. This looks like "
        "pseudo-resistance rather than treatment resistance."
    ),
    next_steps=(
        "Agree one antidepressant at a full dose for an adequate length, with adherence support "
        "and a pharmacy refill check; offer a psychotherapy, not yet tried; repeat the depression "
        "rating at each visit."
    ),
)


def demo_review_create(*, clinic: Clinic, supervisor: User) -> None:
    """Sign off a review of the V02 patient's open case, unless any review exists or an alert."""
    if ImpasseReview.objects.filter(case__patient__clinic=clinic).exists():
        return
    case = ImpasseCase.objects.filter(
        patient__clinic=clinic,
        patient__record_number=vignette_record_number(DEMO_REVIEW_VIGNETTE),
        state=CaseState.OPEN,
    ).first()
    if case is None or episode_safety_check(episode_id=case.episode_id).needs_acknowledgement:
        return
    review = impasse_review_start(acting_user=supervisor, case_id=case.pk)
    impasse_review_sign_off(
        acting_user=supervisor, case_id=case.pk, data=DEMO_REVIEW, expected_version=review.version
    )
