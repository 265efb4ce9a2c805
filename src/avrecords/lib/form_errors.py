"""A refusal's reasons ("字段：原因") placed under the fields they name (issue 17 §7).

Services explain a bad input as Chinese lines that start with the field's label, e.g.
"实际结束：结束时间早于开始时间". A page shows each line in red under its field; the lines
naming no field of the form stay in the summary at the top.
"""

from __future__ import annotations


def by_field(errors: list[str], fields: dict[str, str]) -> tuple[dict[str, list[str]], list[str]]:
    """(field name → its reasons, the reasons naming no field); `fields` maps label → name."""
    placed: dict[str, list[str]] = {}
    rest: list[str] = []
    for error in errors:
        label, sep, reason = error.partition("：")
        name = fields.get(label.strip()) if sep else None
        if name:
            placed.setdefault(name, []).append(reason.strip())
        else:
            rest.append(error)
    return placed, rest
