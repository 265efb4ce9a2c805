"""The Chinese words of supervision's codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "supervision.create": "创建抽查",
        "supervision.draw": "抽取样本",
        "supervision.recheck": "复核抽样",
        "supervision.close": "结束抽查",
        "supervision.score": "评查打分",
        "supervision.report_export": "导出质量报告",
        "supervision.review_view": "在线监督查看",
        "violation.candidate": "登记违规线索",
        "violation.report": "报告违规线索",
        "violation.confirm": "认定违规",
        "violation.dismiss": "排除违规线索",
        "violation.export": "导出违规登记",
        "accountability.propose": "提出责任追究",
        "accountability.approve": "批准责任追究",
        "accountability.reject": "驳回责任追究",
    },
)
labels.register(
    labels.JOB,
    {
        "supervision.clearance_overdue": "检查逾期未完成的交接",
    },
)
labels.register(
    labels.OBJECT,
    {
        "supervision.campaign": "抽查",
        "supervision.accountability": "责任追究",
    },
)
