"""A refusal's reasons placed under the fields they name (issue 17 §7).

Services explain a bad input in Chinese lines that name the field: "实际结束：结束时间早于
开始时间" (label, "：", reason), or a sentence holding the label ("请填写案件编号",
"产品序号“X1”已登记"). A page shows each line in red under its field; the lines naming no
field of the form stay in the summary at the top.
"""

from __future__ import annotations


def by_field(errors: list[str], fields: dict[str, str]) -> tuple[dict[str, list[str]], list[str]]:
    """(field name → its reasons, the reasons naming no field); `fields` maps label → name.
    "label：reason" gives the reason alone; a sentence holding a label is kept whole (the
    longest label it holds decides, so 案件编号 wins over 编号)."""
    placed: dict[str, list[str]] = {}
    rest: list[str] = []
    labels = sorted(fields, key=len, reverse=True)
    for error in errors:
        label, sep, reason = error.partition("：")
        if sep and label.strip() in fields:
            placed.setdefault(fields[label.strip()], []).append(reason.strip())
        elif held := next((label for label in labels if label in error), None):
            placed.setdefault(fields[held], []).append(error)
        else:
            rest.append(error)
    return placed, rest
