"""人员 (issue 18 §1, §2): the list, a new person, a person's edit form and a password reset,
on the pages and in /api/v1/people. Those who manage people (`can_manage_people`: system
administrators; a unit's administrator only where his profile allows it, which the world's
does not) are asked first: anyone else is 403 before any person is looked up. Each act is one
audit entry naming the person (org.user); a new person is named by the entry the act writes."""

from __future__ import annotations

from tests.permissions.rules import Endpoint, Target, api_post, post

MANAGERS = frozenset(["sysadmin", "superuser"])  # agency.permissions.can_manage_people
NEW_PERSON = Target("new person", audited_as="org.user", audited_id=None)
# 张伟 (squad 1), looked up only once the permission is held
PERSON = Target(
    "person", seen_after_permission=MANAGERS, audited_as="org.user", audited_id=lambda w: w.person
)


def _new_form(world) -> dict:
    return {
        "full_name": "赵新",
        "username": "zhaoxin",
        "unit": world.users["other_officer"].unit_id,
        "role": "officer",
        "badge_no": "FZ-2026-0001",
    }


def _edit_form(world) -> dict:
    """张伟's record as his edit form shows it, with a new phone number."""
    person = world.users["officer"]
    return {
        "full_name": person.full_name,
        "username": person.username,
        "badge_no": person.badge_no or "",
        "officer_no": person.officer_no or "",
        "unit": person.unit_id,
        "role": person.role,
        "phone": "13800138000",
        "secrecy_clearances": list(person.secrecy_clearances or []),
    }


def _new_json(world) -> dict:
    return {"username": "zhaoxin", "full_name": "赵新", "unit_code": "T350200-02"}


ROWS = [
    Endpoint("page-agency-people", "/agency/people/", MANAGERS),
    Endpoint("page-agency-person-new", "/agency/people/new", MANAGERS),
    Endpoint(
        "page-agency-person-create",
        "/agency/people/new",
        MANAGERS,
        NEW_PERSON,
        method="POST",
        audit="agency.person_create",
        body=_new_form,  # answered with the page that shows the initial password (200)
    ),
    Endpoint("page-agency-person-edit", "/agency/people/{person}/edit", MANAGERS, PERSON),
    post(
        "page-agency-person-update",
        "/agency/people/{person}/edit",
        MANAGERS,
        PERSON,
        audit="agency.person_update",
        body=_edit_form,
    ),
    Endpoint("page-agency-person-password", "/agency/people/{person}/password", MANAGERS, PERSON),
    Endpoint(
        "page-agency-person-password-reset",
        "/agency/people/{person}/password",
        MANAGERS,
        PERSON,
        method="POST",
        audit="agency.password_reset",
    ),
    Endpoint("api-people", "/api/v1/people", MANAGERS),
    api_post(
        "api-people-create",
        "/api/v1/people",
        MANAGERS,
        NEW_PERSON,
        ok=201,
        audit="agency.person_create",
        body=_new_json,
    ),
    Endpoint("api-person", "/api/v1/people/{person}", MANAGERS, PERSON),
    Endpoint(
        "api-person-update",
        "/api/v1/people/{person}",
        MANAGERS,
        PERSON,
        method="PATCH",
        audit="agency.person_update",
        body=lambda w: {"phone": "13800138000"},
        content_type="application/json",
    ),
    api_post(
        "api-person-password-reset",
        "/api/v1/people/{person}/password-reset",
        MANAGERS,
        PERSON,
        audit="agency.password_reset",
    ),
]
