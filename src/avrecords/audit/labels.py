"""The Chinese words of the audit chain's own codes (issue 17 §7; registry: lib/labels.py)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "audit.anchor": "审计锚定",
        "audit.anchor_export": "导出审计锚定",
        "admin.add": "在后台新增",
        "admin.change": "在后台修改",
        "admin.delete": "在后台删除",
        "admin.view": "在后台查看",
        "auth.login": "登录",
        "auth.logout": "退出登录",
        "auth.login_failed": "登录失败",
        "auth.lockout": "账号被锁定",
        "auth.unlock": "解除登录锁定",
        "auth.password_change": "修改密码",
        "install.transferred": "迁移安装",
    },
)
labels.register(
    labels.OBJECT,
    {
        "audit.auditentry": "审计记录",
        "admin.logentry": "后台操作记录",
        "auth.permission": "权限",
    },
)
