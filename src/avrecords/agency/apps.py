from django.apps import AppConfig


class AgencyConfig(AppConfig):
    """单位与人员管理 (issue 18): the agency describes itself on its own pages and API —
    units, people, roles, clearances, the roster, first-run setup, two-factor sign-in."""

    name = "avrecords.agency"
    verbose_name = "单位与人员"
