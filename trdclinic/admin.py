from django.contrib import admin
from django.http import HttpRequest


class ClinicAdminSite(admin.AdminSite):
    """The admin site: open to superusers and to users who administer a clinic."""

    site_header = "trdclinic administration"
    site_title = "trdclinic admin"
    index_title = "Clinic administration"

    def has_permission(self, request: HttpRequest) -> bool:
        from records.access import administered_clinic_ids

        user = request.user
        if not user.is_active:
            return False
        return bool(user.is_superuser or administered_clinic_ids(user))
