"""Shared by the people tests (pages, services, API): a profile that gives a unit's
设备及音像资料管理员 the people of his subtree (issue 18 §1, `personnel.managed_by_unit_admins`)."""

from __future__ import annotations

from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile


def let_unit_admins_manage_people(org, unit=None) -> PolicyProfile:
    """The fuzhou rules with `personnel.managed_by_unit_admins`, on the bureau (or `unit`)."""
    text = PolicyProfile.objects.get(code="fuzhou").source.replace("code: fuzhou", "code: rongan")
    text += (
        "\npersonnel:\n  managed_by_unit_admins: true\n  note: 本局决定由单位管理员维护本单位人员\n"
    )
    row = policies.save_profile(org.sysadmin, text)
    policies.assign(org.sysadmin, unit or org.bureau, row)
    return row
