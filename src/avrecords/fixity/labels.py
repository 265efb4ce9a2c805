"""The Chinese words of fixity's codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "fixity.sweep": "完整性校验",
        "fixity.acknowledge": "确认完整性告警",
        "fixity.mismatch": "完整性告警：哈希不符",
        "fixity.missing": "完整性告警：对象缺失",
        "fixity.error": "完整性校验出错",
        "fixity.ok": "完整性校验完好",
    },
)
labels.register(
    labels.JOB,
    {
        "fixity.sweep": "完整性校验",
        "fixity.slot": "完整性校验时段",
    },
)
