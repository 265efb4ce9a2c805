from django.apps import AppConfig


class EquipmentConfig(AppConfig):
    name = "avrecords.equipment"
    verbose_name = "设备"

    def ready(self):
        from avrecords import worklist

        # 待办, imported on first use (avrecords.worklist): loss reports, clock drift
        worklist.register_module("avrecords.equipment.worklist_sources")
