"""The Chinese words of evidence's codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "evidence.package": "制作证据包",
        "evidence.ready": "证据包已制成",
        "evidence.failed": "证据包制作失败",
        "evidence.tampered": "证据包原件校验不符",
        "evidence.download": "下载证据包",
        "evidence.disc": "登记光盘",
    },
)
labels.register(
    labels.JOB,
    {
        "evidence.package": "制作证据包",
    },
)
labels.register(
    labels.OBJECT,
    {
        "evidence.package": "证据包",
        "evidence.disc": "光盘",
    },
)
