"""The Chinese words of the background jobs' own codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.JOB,
    {
        "audit.anchor": "每日审计锚定",
    },
)
