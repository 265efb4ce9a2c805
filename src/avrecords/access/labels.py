"""The Chinese words of access's codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "access.request": "提交查阅复制申请",
        "access.approve": "批准查阅复制申请",
        "access.reject": "驳回查阅复制申请",
        "access.execute": "办理查阅复制",
        "access.revoke": "撤销查阅复制授权",
        "access.withdraw": "撤回查阅复制申请",
        "secrecy.mark": "标定密级",
        "secrecy.unmark": "解除密级",
        "register.export": "导出登记簿",
    },
)
labels.register(
    labels.OBJECT,
    {
        "access.accessrequest": "查阅复制申请",
    },
)
