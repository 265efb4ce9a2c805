"""One filter per list, shared by the page and the API (issue 16 §5).

The case list's parameters come from `request.GET` on the page and from the API's query as a
dict; both read them here and search with `services.search_cases`, which starts from the
cases the user may see (X2, M9). Invalid values come back as Chinese reasons, with an empty
list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import QuerySet

from avrecords.cases import services
from avrecords.cases.models import Case, CaseStatus, CaseType
from avrecords.lib.filters import Params


def read_case_filter(params: Mapping) -> tuple[services.CaseFilter, dict[str, str]]:
    """status, case_type (the page's form calls it `type`), unit (with the units below it),
    q (in the number, title or party), overdue (逾期未归档 only)."""
    p = Params(params)
    type_name = "case_type" if p.text("case_type") is not None else "type"
    f = services.CaseFilter(
        status=p.choice("status", CaseStatus.choices, "状态"),
        case_type=p.choice(type_name, CaseType.choices, "案件类型"),
        unit=p.integer("unit", "单位"),
        q=p.text("q"),
        overdue=bool(p.flag("overdue", "只看逾期未归档")),
    )
    return f, p.errors


def filter_cases(
    user, params: Mapping, today: dt.date | None = None
) -> tuple[QuerySet[Case], dict[str, str]]:
    f, errors = read_case_filter(params)
    if errors:
        return Case.objects.none(), errors
    return services.search_cases(user, f, today), errors
