"""The Chinese words of the agency app's codes (issue 17 §7): its audit actions."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "agency.unit_create": "新建单位",
        "agency.unit_rename": "单位更名",
        "agency.unit_move": "调整上级单位",
        "agency.unit_field_squad": "标记现场执法分队",
        "agency.unit_retire": "撤销单位",
        "agency.unit_reinstate": "恢复单位",
        "agency.person_create": "新增人员",
        "agency.person_update": "修改人员信息",
        "agency.password_reset": "重置密码",
    },
)
