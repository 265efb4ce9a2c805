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
        "agency.roster_import": "导入人员名册",
        "agency.roster_export": "导出人员名册",
        "agency.roster_passwords": "下载初始密码表",
        "agency.two_factor_enrol": "启用双因素登录",
        "agency.two_factor_verify": "双因素登录验证通过",
        "agency.two_factor_failed": "双因素登录验证码错误",
        "agency.two_factor_lockout": "双因素登录被锁定",
        "agency.two_factor_codes": "重新生成恢复码",
        "agency.two_factor_disable": "停用双因素登录",
        "agency.two_factor_reset": "重置双因素登录",
        "agency.first_admin": "创建第一个系统管理员",
        "agency.api_token_create": "创建接口令牌",
        "agency.api_token_revoke": "撤销接口令牌",
        "agency.api_token_rotate": "更换接口令牌",
    },
)
