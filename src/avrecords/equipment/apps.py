from django.apps import AppConfig


class EquipmentConfig(AppConfig):
    name = "avrecords.equipment"
    verbose_name = "设备"

    def ready(self):
        from avrecords.equipment import worklist_sources

        worklist_sources.register()  # 待办: loss reports, clock drift
