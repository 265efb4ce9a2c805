"""The Chinese words of equipment's codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "device.register": "登记设备",
        "device.update": "修改设备信息",
        "device.import": "导入设备台账",
        "device.issue": "领用设备",
        "device.return": "归还设备",
        "device.accessories": "登记随附配件",
        "device.check": "使用前检查",
        "device.clock_flag": "发现设备时钟异常",
        "device.clock_resolve": "处理设备时钟异常",
        "device.loss_acknowledge": "确认设备遗失",
        "device.view": "查看设备",
        "equipment.report": "查看设备配备情况",
        "equipment.export": "导出设备台账",
        "device.maintenance": "设备维护保养",
        "device.repair": "设备送修",
        "device.repaired": "设备维修完成",
        "device.loss": "设备遗失",
        "device.theft": "设备被盗",
        "device.found": "设备找回",
        "device.retire": "设备报废",
        "device.status": "设备状态变更",
    },
)
labels.register(
    labels.OBJECT,
    {
        "equipment.device": "设备",
        "equipment.custody": "设备领用",
        "equipment.station": "采集站",
    },
)
