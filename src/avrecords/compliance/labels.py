"""The Chinese words of compliance's codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "activity.create": "登记执法活动",
        "activity.import": "导入执法活动",
        "activity.link": "关联音像记录",
        "activity.unlink": "取消关联音像记录",
        "activity.extension": "同意延期存储",
        "activity.correct": "更正执法活动",
        "finding.explain": "说明合规问题",
        "finding.acknowledge": "确认中断说明",
        "exemption.submit": "提交免予记录",
        "exemption.approve": "批准免予记录",
        "exemption.reject": "驳回免予记录",
        "extension.consent": "同意延长存储期限",
        "interruption.acknowledge": "确认中断说明",
        "clearance.start": "开始离岗交接",
        "clearance.handover": "移交交接事项",
        "clearance.complete": "完成离岗交接",
        "clearance.cancel": "取消离岗交接",
        "notice.check": "告知检查",
        "notice.answer": "说明未检测到告知语",
        "notice.confirm": "确认未告知",
        "notice.dismiss": "不予认定未告知",
        "notice_reference.add": "添加告知语参考录音",
        "notice_reference.remove": "删除告知语参考录音",
        "notice_reference.listen": "试听告知语参考录音",
    },
)
labels.register(
    labels.JOB,
    {
        "compliance.evaluate": "合规检查",
        "compliance.reevaluate_unit": "重新检查本单位近期记录",
        "compliance.escalate_overdue": "上报逾期未说明的问题",
        "compliance.notice_check": "告知检查",
    },
)
labels.register(
    labels.OBJECT,
    {
        "compliance.activity": "执法活动",
        "compliance.finding": "合规问题",
        "compliance.exemption": "免予记录",
        "compliance.violationcandidate": "违规线索",
        "compliance.noticereference": "告知语参考录音",
        "compliance.noticecheck": "告知检查",
    },
)
