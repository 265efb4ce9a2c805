"""The Chinese words of cases' codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "case.open": "立卷",
        "case.edit": "修改案卷",
        "case.view": "查看案卷",
        "case.close": "结案",
        "case.file": "归档",
        "case.link": "音像记录加入案卷",
        "case.unlink": "音像记录移出案卷",
        "case.link_activity": "执法活动加入案卷",
        "case.unlink_activity": "执法活动移出案卷",
    },
)
labels.register(
    labels.OBJECT,
    {
        "cases.case": "案卷",
    },
)
