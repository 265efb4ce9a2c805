"""/api/v1/stations (issue 19 §1, §4): the same services and refusals as the pages. Those who
see the units' equipment list the stations of their scope with their state; a system
administrator registers (201, the secret once), changes, retires, reinstates and rotates or
revokes the token; field errors name the API's fields; officers are refused and stations
outside one's scope are missing (X2)."""

from __future__ import annotations

import pytest
from django.test import Client

from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Station
from avrecords.stations import services as svc
from tests.conftest import client_for

API = "/api/v1/stations"


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def sysadmin(org) -> Client:
    return client_for(org.sysadmin)


def create(client, **body):
    return client.post(API, body, content_type="application/json")


def test_a_system_administrator_registers_a_station_and_sees_the_secret_once(org, sysadmin):
    response = create(
        sysadmin,
        name="一中队值班室采集站",
        unit_id=org.squad1.pk,
        location="值班室",
        responsible_id=org.admin.pk,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert body["token_prefix"] == secret[:8] and body["responsible"] == "林海"
    assert body["states"] == [{"label": "从未连接", "tone": "warn"}] and not body["online"]
    assert bearer(secret).get("/api/v1/station/me").status_code == 200
    again = sysadmin.get(f"{API}/{body['id']}").json()
    assert "secret" not in again and again["token_prefix"] == secret[:8]


def test_field_errors_name_the_apis_fields(org, sysadmin):
    response = create(sysadmin, name="", unit_id=org.squad2.pk, responsible_id=org.admin.pk)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "responsible_id"}
    assert create(sysadmin, name="甲", unit_id=999_999).json()["errors"][0]["field"] == "unit_id"
    assert not Station.objects.filter(name="甲").exists()


def test_it_changes_retires_reinstates_and_rotates_through_the_services(org, sysadmin):
    made = create(sysadmin, name="一中队值班室采集站", unit_id=org.squad1.pk).json()
    url = f"{API}/{made['id']}"
    changed = sysadmin.patch(
        url, {"location": "值班室东墙", "responsible_id": org.admin.pk}, "application/json"
    )
    assert changed.status_code == 200 and changed.json()["location"] == "值班室东墙"
    rotated = sysadmin.post(f"{url}/rotate-token", content_type="application/json").json()
    assert bearer(made["secret"]).get("/api/v1/station/me").status_code == 401
    assert bearer(rotated["secret"]).get("/api/v1/station/me").status_code == 200
    revoked = sysadmin.post(f"{url}/revoke-token", content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["token_prefix"] is None
    again = sysadmin.post(f"{url}/revoke-token", content_type="application/json")
    assert again.status_code == 409 and "没有有效的接入令牌" in again.json()["detail"]
    retired = sysadmin.post(f"{url}/retire", content_type="application/json").json()
    assert retired["retired"] and retired["states"] == [{"label": "已停用", "tone": ""}]
    assert sysadmin.post(f"{url}/retire", content_type="application/json").status_code == 409
    back = sysadmin.post(f"{url}/reinstate", content_type="application/json").json()
    assert not back["retired"]
    actions = list(
        AuditEntry.objects.filter(action__startswith="station.").values_list("action", flat=True)
    )
    assert actions == [
        "station.register",
        "station.update",
        "station.token_rotate",
        "station.token_refused",  # the old secret tried after the rotation
        "station.token_revoke",
        "station.retire",
        "station.reinstate",
    ]


def test_the_list_shows_the_stations_in_ones_scope_with_retired_ones_last(org, sysadmin):
    svc.retire(org.sysadmin, org.station)
    names = [s["name"] for s in sysadmin.get(API).json()]
    assert names == ["二中队采集站", "一中队采集站"]
    mine = [s["name"] for s in client_for(org.admin).get(API).json()]
    assert mine == ["一中队采集站"]
    assert client_for(org.admin).get(f"{API}/{org.station2.pk}").status_code == 404


def test_officers_are_refused_and_administrators_may_not_manage(org):
    officer = client_for(org.officer)
    assert officer.get(API).status_code == 403
    assert officer.get(f"{API}/{org.station.pk}").status_code == 404
    admin = client_for(org.admin)
    response = create(admin, name="自建采集站", unit_id=org.squad1.pk)
    assert response.status_code == 403 and response.json()["detail"].startswith("无权管理采集站")
    response = admin.post(f"{API}/{org.station.pk}/rotate-token", content_type="application/json")
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="station.").exists()
