from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator

NUL_IN_QUERY = "The address holds a NUL character."


class ClinicAdminSite(admin.AdminSite):
    """The admin site: for platform operators (active superusers) only.

    Clinic admins manage their clinic on the Team and clinic settings pages (issue 13: the admin
    let them take over accounts). A signed-in user who is not a superuser gets 403 on every admin
    URL, the sign-in page included; anonymous visitors get the admin's sign-in, whose failures
    count toward the lock-out like the main sign-in's.
    """

    site_header = "trdclinic operations"
    site_title = "trdclinic operations"
    index_title = "Platform administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def _refuse_signed_in_non_operators(self, request: HttpRequest) -> None:
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Any:
        wrapped = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            self._refuse_signed_in_non_operators(request)
            # PostgreSQL refuses NUL in a string: a list filter or search holding one was a 500.
            if any(
                "\x00" in text for key, values in request.GET.lists() for text in [key, *values]
            ):
                raise SuspiciousOperation(NUL_IN_QUERY)
            return wrapped(request, *args, **kwargs)

        return update_wrapper(guarded, wrapped)

    @method_decorator(login_not_required)
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        self._refuse_signed_in_non_operators(request)
        return super().login(request, extra_context)

    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The operator's own password: the old one counts toward the lock-out (issue 13,
        # defect 4) and the change is audited, through the same code as /account/password/.
        from records.views.accounts import password_change_response

        request.current_app = self.name
        return password_change_response(
            request,
            template_name="registration/password_change_form.html",
            success_url=reverse("admin:password_change_done", current_app=self.name),
            context={
                **self.each_context(request),
                "title": "Password change",
                **(extra_context or {}),
            },
        )
