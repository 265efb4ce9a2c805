from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "avrecords.supervision"
    verbose_name = "执法监督"
