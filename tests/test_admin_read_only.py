"""Issue 18 §1, §4: the Django admin is for emergencies only — every registered model
read-only (no add, change, delete) unless AVRECORDS_ADMIN_WRITABLE, a banner on every page,
and opened to system administrators by their role (the first administrator is not a
superuser)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Device
from avrecords.org.models import Unit
from avrecords.web.admin_site import EmergencyOnly
from tests.conftest import client_for

DEVICE_FORM = {
    "serial": "3501099",
    "kind": "body_camera",
    "status": "in_service",
    "custodies-TOTAL_FORMS": "0",
    "custodies-INITIAL_FORMS": "0",
}


@pytest.fixture
def first_admin(org):
    """A system administrator as createadmin makes him: staff, not superuser."""
    org.sysadmin.is_staff = True
    org.sysadmin.save()
    return org.sysadmin


def test_every_model_of_the_admin_is_under_the_emergency_rule():
    admin.site.discover()  # as its URLs or its check do: not in set-up (issue 22 §1)
    assert admin.site._registry
    assert all(
        isinstance(model_admin, EmergencyOnly) for model_admin in admin.site._registry.values()
    )


def test_a_system_administrator_sees_every_model_but_may_not_add_change_or_delete(first_admin, org):
    client = client_for(first_admin)
    index = client.get("/admin/").content.decode()
    assert "设备" in index and "人员" in index
    assert client.get("/admin/equipment/device/").status_code == 200
    assert client.get(f"/admin/equipment/device/{org.camera.pk}/change/").status_code == 200
    assert client.get("/admin/equipment/device/add/").status_code == 403
    form = DEVICE_FORM | {"unit": org.squad1.pk, "status": "repair"}
    assert client.post(f"/admin/equipment/device/{org.camera.pk}/change/", form).status_code == 403
    delete = client.post(f"/admin/equipment/device/{org.camera.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    rename = client.post(f"/admin/org/unit/{org.squad1.pk}/change/", {"name": "改名", "code": "X"})
    assert rename.status_code == 403
    assert Device.objects.get(pk=org.camera.pk).status == "in_service"
    assert Unit.objects.get(pk=org.squad1.pk).name == "执法一中队"
    assert not AuditEntry.objects.filter(action__startswith="admin.").exists()


def test_even_a_superuser_may_not_change_anything_while_it_is_read_only(org):
    org.sysadmin.is_staff = org.sysadmin.is_superuser = True
    org.sysadmin.save()
    client = client_for(org.sysadmin)
    assert client.get("/admin/equipment/device/add/").status_code == 403
    assert client.post("/admin/jobs/job/1/delete/", {"post": "yes"}).status_code in (302, 403)
    assert "delete_selected" not in client.get("/admin/equipment/device/").content.decode()


def test_every_admin_page_says_changes_belong_on_the_products_pages(first_admin):
    page = client_for(first_admin).get("/admin/equipment/device/").content.decode()
    assert "后台管理仅供应急使用" in page and "后台当前为只读" in page


def test_staff_without_the_system_administrators_role_see_nothing(org):
    org.admin.is_staff = True
    org.admin.save()
    assert client_for(org.admin).get("/admin/equipment/device/").status_code == 403


def test_when_writable_a_system_administrator_adds_and_changes_audited(first_admin, org, settings):
    settings.AVRECORDS_ADMIN_WRITABLE = True
    client = client_for(first_admin)
    assert "已临时开启后台写入" in client.get("/admin/").content.decode()
    response = client.post("/admin/equipment/device/add/", DEVICE_FORM | {"unit": org.squad1.pk})
    assert response.status_code == 302, response.content[:300]
    device = Device.objects.get(serial="3501099")
    [added] = AuditEntry.objects.filter(action="admin.add", object_id=str(device.pk))
    assert added.actor == first_admin


def test_when_writable_an_admin_class_that_forbids_changes_still_forbids_them(
    first_admin, settings
):
    settings.AVRECORDS_ADMIN_WRITABLE = True
    client = client_for(first_admin)
    assert client.get("/admin/recordings/recording/add/").status_code == 403
    assert client.get("/admin/retention/legalhold/add/").status_code == 403


def test_when_writable_a_model_of_django_or_a_package_is_audited_by_field_names(org, settings):
    """Django's groups have no audited admin class of ours: the site audits what changed
    without the values (a package's model may hold a secret). Such models stay Django's:
    superusers only."""
    settings.AVRECORDS_ADMIN_WRITABLE = True
    org.sysadmin.is_staff = True
    org.sysadmin.save()
    assert client_for(org.sysadmin).get("/admin/auth/group/").status_code == 403
    org.sysadmin.is_superuser = True
    org.sysadmin.save()
    response = client_for(org.sysadmin).post("/admin/auth/group/add/", {"name": "值班组"})
    assert response.status_code == 302, response.content[:300]
    [added] = AuditEntry.objects.filter(action="admin.add", object_type="auth.group")
    assert added.actor == org.sysadmin and "值班组" in added.summary
    assert added.detail == {"fields": ["name"]}


def test_a_two_factor_devices_secret_key_and_qr_code_stay_hidden(org):
    """Even a superuser looking at a person's two-factor devices never sees the secret key or
    the QR code that would let him produce that person's codes, nor the recovery codes."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    org.sysadmin.is_staff = org.sysadmin.is_superuser = True
    org.sysadmin.save()
    device = TOTPDevice.objects.create(user=org.officer, name="手机", confirmed=True)
    codes = StaticDevice.objects.create(user=org.officer, name="恢复码")
    codes.token_set.create(token="k7m2q9x4")
    client = client_for(org.sysadmin)
    listing = client.get("/admin/otp_totp/totpdevice/").content.decode()
    assert "手机" in listing and "qrcode" not in listing
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert "drift" in page.lower() and device.key not in page and "qrcode" not in page
    static = client.get(f"/admin/otp_static/staticdevice/{codes.pk}/change/").content.decode()
    assert "恢复码" in static and "k7m2q9x4" not in static
