"""X1: changes made by a system administrator in the Django admin are audited too."""

from __future__ import annotations

from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Device
from tests.conftest import client_for


def test_adding_and_changing_a_device_in_the_admin_is_audited(org):
    org.sysadmin.is_staff = org.sysadmin.is_superuser = True
    org.sysadmin.save()
    client = client_for(org.sysadmin)
    resp = client.post(
        "/admin/equipment/device/add/",
        {
            "serial": "3501099",
            "kind": "body_camera",
            "unit": org.squad1.pk,
            "status": "in_service",
            "custodies-TOTAL_FORMS": "0",
            "custodies-INITIAL_FORMS": "0",
        },
    )
    assert resp.status_code == 302, resp.content[:500]
    device = Device.objects.get(serial="3501099")
    added = AuditEntry.objects.get(action="admin.add", object_id=str(device.pk))
    assert added.actor == org.sysadmin and "3501099" in added.summary

    client.post(
        f"/admin/equipment/device/{device.pk}/change/",
        {
            "serial": "3501099",
            "kind": "body_camera",
            "unit": org.squad1.pk,
            "status": "repair",
            "custodies-TOTAL_FORMS": "0",
            "custodies-INITIAL_FORMS": "0",
        },
    )
    changed = AuditEntry.objects.get(action="admin.change", object_id=str(device.pk))
    assert changed.detail["changed"]["status"] == ["in_service", "repair"]
