from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "avrecords.cases"
    verbose_name = "案卷"
