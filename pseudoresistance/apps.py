from django.apps import AppConfig


class PseudoresistanceConfig(AppConfig):
    name = "pseudoresistance"
    verbose_name = "Pseudo-resistance and impasse review"
