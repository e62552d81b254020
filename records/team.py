"""The Team page's reading side: the clinic's people, their roles, state and what may change."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from records.access import ClinicAccess, Permission, administered_clinic_ids
from records.models import Invitation, Membership, Role
from records.services.team import MEMBER_NOT_FOUND


@dataclass(frozen=True)
class TeamMember:
    """One person of the clinic as the clinic admin sees them."""

    user: User
    roles: tuple[Role, ...]
    locked_out: bool
    # May the admin change the account's credentials, identity and activation (issue 13)?
    manageable: bool
    works_elsewhere: bool
    invitation: Invitation | None
    two_factor_enrolled: bool

    @property
    def invitation_pending(self) -> bool:
        return not self.user.has_usable_password()

    @property
    def invitation_expired(self) -> bool:
        return self.invitation is None or self.invitation.expires_at <= timezone.now()

    @property
    def roles_to_remove(self) -> list[Role]:
        """Return the roles that may go: not the only one of an account working only here."""
        return list(self.roles) if len(self.roles) > 1 or self.works_elsewhere else []

    @property
    def roles_to_add(self) -> list[Role]:
        return [role for role in Role if role not in self.roles]


def _failures_by_username(usernames: list[str]) -> dict[str, int]:
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .values_list("username", "failures")
    )
    return {username: int(failures or 0) for username, failures in rows}


def team_members(*, access: ClinicAccess, user_id: int | None = None) -> list[TeamMember]:
    """Return the clinic's people (or the one asked for), by name; a fixed number of queries."""
    access.require(Permission.MANAGE_CLINIC)
    users = User.objects.filter(memberships__clinic=access.clinic).distinct()
    if user_id is not None:
        users = users.filter(pk=user_id)
    people = list(users.order_by("last_name", "first_name", "username"))
    ids = [user.pk for user in people]
    memberships = list(
        Membership.objects.filter(user_id__in=ids).values_list("user_id", "clinic_id", "role")
    )
    administered = administered_clinic_ids(access.user)
    failures = _failures_by_username([user.get_username() for user in people])
    invitations: dict[int, Invitation] = {}
    for invitation in Invitation.objects.filter(user_id__in=ids, used_at=None):
        invitations.setdefault(invitation.user_id, invitation)
    enrolled = set(
        TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True)
    )
    held = set(memberships)
    members = []
    for user in people:
        clinics = {clinic_id for uid, clinic_id, _ in memberships if uid == user.pk}
        roles = tuple(
            Role(role) for role in Role.values if (user.pk, access.clinic.pk, role) in held
        )
        members.append(
            TeamMember(
                user=user,
                roles=roles,
                locked_out=failures.get(user.get_username(), 0) >= settings.AXES_FAILURE_LIMIT,
                manageable=(
                    access.user.is_superuser
                    or (not (user.is_superuser or user.is_staff) and clinics <= administered)
                ),
                works_elsewhere=bool(clinics - {access.clinic.pk}),
                invitation=invitations.get(user.pk),
                two_factor_enrolled=user.pk in enrolled,
            )
        )
    return members


def team_member(*, access: ClinicAccess, user_id: int) -> TeamMember:
    """Return one person of the clinic; 404 for anyone who holds no role in it."""
    members = team_members(access=access, user_id=user_id)
    if not members:
        raise Http404(MEMBER_NOT_FOUND)
    return members[0]
