"""Collection stations as first-class objects (issue 19 §1): a system administrator registers a
station and gets its token once; the token opens the station's API and nothing else; rotating
voids the old one at once, revoking and retiring void it too, each refusal said in Chinese and
audited under the station's name; registering checks the name, the unit and the 负责人; officers
and unit heads may not manage stations (X2)."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from avrecords.agency import api_tokens
from avrecords.audit.models import AuditEntry
from avrecords.equipment.models import Station
from avrecords.lib.refusals import Conflict, Forbidden, Invalid
from avrecords.org.models import ApiToken, Role
from avrecords.stations import services as svc
from tests.conftest import client_for

ME = "/api/v1/station/me"


def as_station(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def registered(org):
    """一中队值班室采集站, 林海 (一中队's administrator) responsible."""
    return svc.register(
        org.sysadmin,
        name="一中队值班室采集站",
        unit=org.squad1,
        location="一中队值班室东墙",
        responsible=org.admin,
        note="八口采集站",
    )


def test_it_gives_a_new_station_a_token_shown_once_and_kept_only_as_its_hash(org, registered):
    station, secret = registered
    assert secret.startswith("avr_") and len(secret) > 40
    token = station.token
    assert token.user is None and token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.prefix, token.digest}
    entry = AuditEntry.objects.get(action="station.register")
    assert entry.actor_id == org.sysadmin.pk and entry.object_id == str(station.pk)
    assert secret not in entry.summary + str(entry.detail)
    assert entry.detail["after"]["responsible"] == "林海"
    assert entry.detail["after"]["unit"] == "执法一中队"


def test_its_token_opens_the_station_api(registered):
    station, secret = registered
    response = as_station(secret).get(ME)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "一中队值班室采集站" and body["unit"] == "执法一中队"
    assert body["heartbeat_seconds"] > 0 and body["part_bytes"] > 0
    assert body["max_upload_bytes"] > body["part_bytes"]
    station.token.refresh_from_db()
    assert station.token.last_used_at is not None


def test_its_token_is_refused_on_a_person_endpoint(registered):
    _, secret = registered
    response = as_station(secret).get("/api/v1/recordings")
    assert response.status_code == 401
    assert response.json()["detail"] == "该令牌属于采集站，只能用于采集站接口"


def test_a_person_token_and_a_session_are_refused_on_the_station_api(org):
    secret = api_tokens.create(org.admin, "办案系统").secret
    response = as_station(secret).get(ME)
    assert response.status_code == 401
    assert "属于个人" in response.json()["detail"]
    assert client_for(org.sysadmin).get(ME).status_code == 401
    assert Client().get(ME).status_code == 401


def test_an_unknown_token_is_refused_and_not_audited(org):
    before = AuditEntry.objects.count()
    response = as_station("avr_" + "x" * 43).get(ME)
    assert response.status_code == 401 and "令牌无效" in response.json()["detail"]
    assert AuditEntry.objects.count() == before


def test_rotating_voids_the_old_token_at_once_and_the_new_one_works(org, registered):
    station, old = registered
    new = svc.rotate_token(org.sysadmin, station)
    refused = as_station(old).get(ME)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "采集站令牌已撤销或已更换，请向系统管理员索取新令牌"
    assert as_station(new).get(ME).status_code == 200
    entry = AuditEntry.objects.get(action="station.token_refused")
    assert entry.actor_id is None and entry.actor_label == "采集站：一中队值班室采集站"
    assert entry.object_id == str(station.pk) and old not in entry.summary
    rotated = AuditEntry.objects.get(action="station.token_rotate")
    assert rotated.detail["before"]["token"] != rotated.detail["after"]["token"]


def test_a_void_token_retried_is_audited_once_a_minute_not_each_time(org, registered):
    station, secret = registered
    svc.revoke_token(org.sysadmin, station)
    for _ in range(3):
        assert as_station(secret).get(ME).status_code == 401
    assert AuditEntry.objects.filter(action="station.token_refused").count() == 1


def test_a_revoked_token_is_refused_until_a_new_one_is_issued(org, registered):
    station, secret = registered
    svc.revoke_token(org.sysadmin, station)
    assert as_station(secret).get(ME).status_code == 401
    with pytest.raises(Conflict, match="没有有效的接入令牌"):
        svc.revoke_token(org.sysadmin, station)
    assert as_station(svc.rotate_token(org.sysadmin, station)).get(ME).status_code == 200


def test_a_retired_station_is_refused_and_a_reinstated_one_needs_a_new_token(org, registered):
    station, secret = registered
    svc.retire(org.sysadmin, station)
    response = as_station(secret).get(ME)
    assert response.status_code == 401
    assert response.json()["detail"] == "采集站“一中队值班室采集站”已停用，不能再上传或报告状态"
    assert ApiToken.objects.get(pk=station.token_id).is_revoked
    with pytest.raises(Conflict, match="已停用，请先恢复"):
        svc.rotate_token(org.sysadmin, station)
    svc.reinstate(org.sysadmin, station)
    assert as_station(secret).get(ME).status_code == 401  # the old token stays void
    assert as_station(svc.rotate_token(org.sysadmin, station)).get(ME).status_code == 200
    retire = AuditEntry.objects.get(action="station.retire")
    assert retire.detail["before"]["retired_at"] is None and retire.detail["after"]["retired_at"]


def test_it_refuses_to_retire_a_station_while_a_file_is_being_uploaded(org, registered):
    from django.apps import apps

    try:
        upload = apps.get_model("recordings", "ResumableUpload")
    except LookupError:
        pytest.skip("resumable uploads not installed yet")
    station, _ = registered
    upload.objects.create(
        station=station,
        filename="3501001_350211_20261120093000_0001.MP4",
        length=10,
        expires_at=timezone.now() + timezone.timedelta(hours=1),
    )
    with pytest.raises(Conflict, match="还有 1 个文件正在上传"):
        svc.retire(org.sysadmin, station)
    station.refresh_from_db()
    assert station.retired_at is None


# --- what may be registered ------------------------------------------------------------------


def test_it_refuses_a_second_station_of_the_same_name(org, registered):
    with pytest.raises(Invalid) as refused:
        svc.register(org.sysadmin, name="一中队值班室采集站", unit=org.squad2)
    assert refused.value.fields == {"name": "已有名为“一中队值班室采集站”的采集站"}
    assert Station.objects.filter(name="一中队值班室采集站").count() == 1


def test_it_refuses_a_retired_unit_and_a_missing_name(org):
    org.squad2.retired_at = timezone.now()
    org.squad2.save()
    with pytest.raises(Invalid) as refused:
        svc.register(org.sysadmin, name="  ", unit=org.squad2)
    assert set(refused.value.fields) == {"name", "unit"}
    assert "已撤销" in refused.value.fields["unit"]
    assert not ApiToken.objects.filter(user=None).exists()


def test_the_responsible_person_must_administer_the_stations_unit(org):
    with pytest.raises(Invalid) as refused:
        svc.register(org.sysadmin, name="二中队采集站甲", unit=org.squad2, responsible=org.admin)
    assert (
        refused.value.fields["responsible"]
        == "林海不管理“执法二中队”，不能担任该单位采集站的负责人"
    )
    with pytest.raises(Invalid) as refused:
        svc.register(org.sysadmin, name="二中队采集站甲", unit=org.squad2, responsible=org.officer)
    assert "不是设备及音像资料管理员" in refused.value.fields["responsible"]
    # the bureau's administrator answers for every squad's; a system administrator for any
    svc.register(org.sysadmin, name="二中队采集站甲", unit=org.squad2, responsible=org.bureau_admin)
    svc.register(org.sysadmin, name="二中队采集站乙", unit=org.squad2, responsible=org.sysadmin)


def test_moving_a_station_keeps_its_responsible_person_only_where_he_may_answer_for_it(
    org, registered
):
    station, _ = registered
    with pytest.raises(Invalid) as refused:
        svc.update(org.sysadmin, station, unit=org.squad2)
    assert "不管理“执法二中队”" in refused.value.fields["responsible"]
    svc.update(org.sysadmin, station, unit=org.squad2, responsible=org.other_admin)
    entry = AuditEntry.objects.get(action="station.update")
    assert entry.detail["before"] == {"unit": "执法一中队", "responsible": "林海"}
    assert entry.detail["after"] == {"unit": "执法二中队", "responsible": "周敏"}


@pytest.mark.parametrize("who", ["officer", "admin", "leader", "head2", "bureau_admin"])
def test_only_a_system_administrator_manages_stations(org, registered, who):
    station, secret = registered
    actor = getattr(org, who)
    for act in (
        lambda: svc.register(actor, name="无权登记的采集站", unit=actor.unit or org.squad1),
        lambda: svc.update(actor, station, note="改"),
        lambda: svc.retire(actor, station),
        lambda: svc.rotate_token(actor, station),
        lambda: svc.revoke_token(actor, station),
    ):
        with pytest.raises(Forbidden, match="无权管理采集站"):
            act()
    assert as_station(secret).get(ME).status_code == 200
    acts = AuditEntry.objects.filter(action__startswith="station.")
    assert list(acts.values_list("action", flat=True)) == ["station.register"]


def test_a_superuser_manages_stations(org):
    root = org._user("root", "超级管理员", Role.OFFICER, None, is_superuser=True)
    station, secret = svc.register(root, name="局机关采集站", unit=org.bureau)
    assert as_station(secret).get(ME).json()["unit"] == "某市市场监督管理局"
    assert station.responsible is None


def test_a_retired_station_imports_nothing_through_the_command(org, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from avrecords.recordings.models import IngestBatch

    svc.retire(org.sysadmin, org.station)
    with pytest.raises(CommandError, match="采集站“一中队采集站”已停用，不能导入") as exc:
        call_command("ingest", str(tmp_path), "--station", "一中队采集站")
    assert exc.value.returncode == 2
    assert not IngestBatch.objects.exists()
