from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "avrecords.org"
    verbose_name = "组织机构"
