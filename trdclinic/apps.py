from django.contrib.admin.apps import AdminConfig


class TrdclinicAdminConfig(AdminConfig):
    """Django's admin, opened to clinic admins through trdclinic's own admin site."""

    default_site = "trdclinic.admin.ClinicAdminSite"
