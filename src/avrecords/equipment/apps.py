from django.apps import AppConfig


class EquipmentConfig(AppConfig):
    name = "avrecords.equipment"
    verbose_name = "设备"
