from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_builtin_after_migrate(**kwargs) -> None:
    # imported when migrate runs: the services bring the profile schema (pydantic), which no
    # other command's start-up needs (issue 22 §1)
    from avrecords.policies.services import sync_builtin_after_migrate

    sync_builtin_after_migrate(**kwargs)


class PoliciesConfig(AppConfig):
    name = "avrecords.policies"
    verbose_name = "执法音像记录策略"

    def ready(self):
        from avrecords.policies import citations

        # pages write 000§21 as 《…》第二十一条: lib learns each regulation's name (issue 17 §7)
        citations.register_documents()
        # The five agencies' profiles ship with the product and follow it on every migrate.
        post_migrate.connect(_sync_builtin_after_migrate, sender=self)
