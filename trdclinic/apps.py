from django.contrib.admin.apps import AdminConfig


class TrdclinicAdminConfig(AdminConfig):
    """Django's admin through trdclinic's own admin site: for superusers (operators) only."""

    default_site = "trdclinic.admin.ClinicAdminSite"
