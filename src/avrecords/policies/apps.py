from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PoliciesConfig(AppConfig):
    name = "avrecords.policies"
    verbose_name = "执法音像记录策略"

    def ready(self):
        from avrecords.policies import citations, services

        # pages write 000§21 as 《…》第二十一条: lib learns each regulation's name (issue 17 §7)
        citations.register_documents()
        # The five agencies' profiles ship with the product and follow it on every migrate.
        post_migrate.connect(services.sync_builtin_after_migrate, sender=self)
