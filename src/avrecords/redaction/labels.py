"""The Chinese words of the redaction app's codes (issue 17 §7, issue 21)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "redaction.request": "申请脱敏副本",
        "redaction.detect": "识别脱敏目标",
        "redaction.hide_track": "遮盖跟踪目标",
        "redaction.show_track": "不遮盖跟踪目标",
        "redaction.add_box": "添加遮盖框",
        "redaction.rerender": "重新生成脱敏副本",
        "redaction.render": "生成脱敏副本",
        "redaction.fail": "脱敏副本生成失败",
        "redaction.abandoned": "脱敏处理因后台中断而停止",
        "redaction.cancel": "取消脱敏副本",
        "redaction.sign_off": "确认脱敏副本可提供",
        "redaction.deliver": "提供或播放脱敏副本",
    },
)
labels.register(
    labels.JOB,
    {
        "redaction.detect": "识别人脸和文字",
        "redaction.render": "生成脱敏副本",
    },
)
labels.register(
    labels.OBJECT,
    {
        "redaction.redaction": "脱敏副本",
        "redaction.redactiontrack": "跟踪目标",
    },
)
