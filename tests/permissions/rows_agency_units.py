"""单位 (issue 18 §1, §2): system administrators keep the unit tree on its pages and through the
API; everyone signed in reads, through the API, the units in his sight (his own unit, a unit
role's subtree). The unit the rows name is 执法一中队 ({unit}); moving it under 二中队, renaming
it, marking it and giving it a profile are each audited once; retiring it is refused (409:
people and a camera are still in it), as is reinstating it (it is not retired), and nothing is
recorded then."""

from __future__ import annotations

from tests.permissions.rules import (
    EVERYONE,
    POLICY_MANAGERS,
    UNIT_SCOPE,
    Endpoint,
    Target,
    api_post,
    post,
)
from tests.permissions.world import CUSTOM

UNIT_MANAGERS = POLICY_MANAGERS
# Who sees 执法一中队: the unit roles over it, system administrators, and its own officers.
SQUAD1_UNIT_SEEN_BY = UNIT_SCOPE["squad1"] | {"officer", "officer2"}


def _unit_id(world) -> int:
    return world.ids()["unit"]


UNIT = Target("执法一中队", audited_as="org.unit", audited_id=_unit_id)
UNIT_API = Target(
    "执法一中队 (API)", seen_by=SQUAD1_UNIT_SEEN_BY, audited_as="org.unit", audited_id=_unit_id
)
NEW_UNIT = Target("a new unit", audited_as="org.unit", audited_id=None)

ROWS = [
    Endpoint("page-agency-units", "/agency/units/", UNIT_MANAGERS),
    Endpoint("page-agency-unit-new", "/agency/units/new", UNIT_MANAGERS),
    post(
        "page-agency-unit-create",
        "/agency/units/new",
        UNIT_MANAGERS,
        NEW_UNIT,
        audit="agency.unit_create",
        body=lambda w: {"name": "执法三中队", "parent": w.ids()["unit"]},
    ),
    Endpoint("page-agency-unit", "/agency/units/{unit}/", UNIT_MANAGERS, UNIT),
    post(
        "page-agency-unit-rename",
        "/agency/units/{unit}/rename",
        UNIT_MANAGERS,
        UNIT,
        audit="agency.unit_rename",
        body=lambda w: {"name": "执法第一中队", "code": "T350200-01"},
    ),
    post(
        "page-agency-unit-move",
        "/agency/units/{unit}/move",
        UNIT_MANAGERS,
        UNIT,
        audit="agency.unit_move",
        body=lambda w: {"parent": w.ids("squad2")["unit"]},
    ),
    post(
        "page-agency-unit-field-squad",
        "/agency/units/{unit}/field-squad",
        UNIT_MANAGERS,
        UNIT,
        audit="agency.unit_field_squad",
        body=lambda w: {"field_squad": "1"},
    ),
    post(
        "page-agency-unit-profile",
        "/agency/units/{unit}/profile",
        UNIT_MANAGERS,
        UNIT,
        audit="policy.assign",
        body=lambda w: {"profile": CUSTOM},
    ),
    post(
        "page-agency-unit-retire",
        "/agency/units/{unit}/retire",
        UNIT_MANAGERS,
        UNIT,
        ok=409,
        body=lambda w: {"reason": "机构改革撤并"},
    ),
    post(
        "page-agency-unit-reinstate", "/agency/units/{unit}/reinstate", UNIT_MANAGERS, UNIT, ok=409
    ),
    Endpoint("api-units", "/api/v1/units", EVERYONE),
    api_post(
        "api-unit-create",
        "/api/v1/units",
        UNIT_MANAGERS,
        NEW_UNIT,
        ok=201,
        audit="agency.unit_create",
        body=lambda w: {"name": "执法三中队", "parent_id": w.ids()["unit"]},
    ),
    Endpoint("api-unit-offices", "/api/v1/units/offices", UNIT_MANAGERS),
    Endpoint("api-unit", "/api/v1/units/{unit}", EVERYONE, UNIT_API),
    Endpoint(
        "api-unit-change",
        "/api/v1/units/{unit}",
        UNIT_MANAGERS,
        UNIT_API,
        method="PATCH",
        audit="agency.unit_rename",
        body=lambda w: {"name": "执法第一中队"},
        content_type="application/json",
    ),
    api_post(
        "api-unit-retire",
        "/api/v1/units/{unit}/retire",
        UNIT_MANAGERS,
        UNIT_API,
        ok=409,
        body=lambda w: {"reason": "机构改革撤并"},
    ),
    api_post(
        "api-unit-reinstate", "/api/v1/units/{unit}/reinstate", UNIT_MANAGERS, UNIT_API, ok=409
    ),
]
