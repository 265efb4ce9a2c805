"""A person's page and the start of his transfer (issue 18 §1): those who administer people
(`agency.permissions.can_manage_people`: system administrators; in the world no profile gives
unit administrators the people). Starting a transfer writes one audit entry, the clearance's
start (`clearance.start`), naming the clearance it opens."""

from __future__ import annotations

from tests.permissions.rules import Endpoint, Target, post

PEOPLE_MANAGERS = frozenset(["sysadmin", "superuser"])
# 张伟 (squad 1) moving to squad 2, his recordings to 林海, squad 1's records administrator
TRANSFER = Target("person", audited_as="equipment.clearance", audited_id=None)


def _transfer_form(world) -> dict:
    return {
        "to_unit": world.users["other_officer"].unit_id,
        "successor": world.users["admin"].pk,
        "reason": "工作需要",
    }


ROWS = [
    Endpoint("page-agency-person", "/agency/people/{person}/", PEOPLE_MANAGERS),
    post(
        "page-agency-person-transfer",
        "/agency/people/{person}/transfer",
        PEOPLE_MANAGERS,
        TRANSFER,
        audit="clearance.start",
        body=_transfer_form,
    ),
]
