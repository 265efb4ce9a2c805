"""The Chinese words of retention's codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "retention.classify": "确定保存期限",
        "retention.fact": "登记保存情形",
        "retention.change_request": "申请缩短保存期限",
        "retention.change_approve": "批准缩短保存期限",
        "retention.change_reject": "驳回缩短保存期限",
        "retention.hold": "法律保全",
        "retention.hold_release_request": "申请解除法律保全",
        "retention.hold_release": "解除法律保全",
        "retention.hold_release_reject": "驳回解除法律保全",
        "retention.disposal_list": "生成清除清单",
        "retention.disposal_submit": "提交清除清单",
        "retention.review": "复核清除清单",
        "retention.disposal_approve": "批准清除清单",
        "retention.disposal_reject": "驳回清除清单",
        "retention.purge": "按保存期限清除",
        "retention.purge_refused": "拒绝清除",
        "retention.record_print": "打印销毁记录",
    },
)
labels.register(
    labels.JOB,
    {
        "retention.daily": "每日保存期限检查",
        "retention.purge": "按清单清除",
        "retention.store_check": "存储保存期限核对",
        "retention.day": "每日保存期限检查",
    },
)
labels.register(
    labels.OBJECT,
    {
        "retention.disposallist": "清除清单",
        "retention.legalhold": "法律保全",
    },
)
