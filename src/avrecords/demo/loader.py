"""The demo agency: a city bureau with two squads, ten officers, six body cameras, a few recordings."""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from avrecords.demo import media, notice
from avrecords.equipment.custody import issue_device
from avrecords.equipment.models import Device, DeviceKind, Station
from avrecords.org.models import Role, Unit, User
from avrecords.recordings.ingest import ingest_directory
from avrecords.recordings.models import IngestSource

DEMO_PASSWORD = "avrecords-demo"
BUREAU_CODE = "350200"
OFFICERS = [
    # (username, 姓名, 执法证号, 执法记录编号, squad index)
    ("zhangwei", "张伟", "35020019001", "350211", 0),
    ("wangfang", "王芳", "35020019002", "350212", 0),
    ("lina", "李娜", "35020019003", "350213", 0),
    ("liuyang", "刘洋", "35020019004", "350214", 0),
    ("chenjing", "陈静", "35020019005", "350215", 0),
    ("yangjun", "杨军", "35020019006", "350221", 1),
    ("zhaolei", "赵磊", "35020019007", "350222", 1),
    ("huangmin", "黄敏", "35020019008", "350223", 1),
    ("zhouqiang", "周强", "35020019009", "350224", 1),
    ("wuxia", "吴霞", "35020019010", "350225", 1),
]
STAFF = [
    ("admin", "系统管理员", Role.SYSADMIN, None),
    ("guanli", "林海（设备及音像资料管理员）", Role.ADMIN, None),
    ("lingdao", "郑国华（分管领导）", Role.LEADER, None),
    ("zhongdui1", "孙立（一中队中队长）", Role.UNIT_HEAD, 0),
    ("jiandu", "何平（法制科监督人员）", Role.SUPERVISOR, None),
    ("dangan", "许静（档案管理员）", Role.ARCHIVIST, None),
]


def _unit(name: str, code: str, parent: Unit | None) -> Unit:
    unit, _ = Unit.objects.get_or_create(code=code, defaults={"name": name, "parent": parent})
    return unit


@functools.cache
def _password_hash() -> str:
    # One hash for all demo people: sixteen PBKDF2 runs took 10 of the demo's 14 seconds.
    return make_password(DEMO_PASSWORD)


def _user(username: str, full_name: str, role: str, unit: Unit, **extra) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=full_name, role=role, unit=unit, **extra)
        user.password = _password_hash()
        if role == Role.SYSADMIN:
            user.is_staff = user.is_superuser = True
        user.save()
    return user


@transaction.atomic
def _organisation() -> tuple[list[Unit], list[User]]:
    bureau = _unit("某市市场监督管理局", BUREAU_CODE, None)
    brigade = _unit("综合行政执法支队", "350200-01", bureau)
    squads = [
        _unit("执法一中队", "350200-0101", brigade),
        _unit("执法二中队", "350200-0102", brigade),
    ]
    for username, name, role, squad in STAFF:
        _user(username, name, role, squads[squad] if squad is not None else bureau)
    officers = [
        _user(u, n, Role.OFFICER, squads[s], badge_no=b, officer_no=o) for u, n, b, o, s in OFFICERS
    ]
    # 004§22: the supervisor is assigned the brigade he supervises
    User.objects.get(username="jiandu").supervised_units.set([brigade])
    # 林海 answers for both stations: a silent station or a refused camera is in his 待办
    keeper = User.objects.get(username="guanli")
    for squad, name, place in (
        (0, "一中队采集站", "一中队值班室"),
        (1, "二中队采集站", "二中队值班室"),
    ):
        Station.objects.get_or_create(
            name=name, defaults={"unit": squads[squad], "location": place, "responsible": keeper}
        )
    issued_at = timezone.now() - dt.timedelta(days=30)
    for i in range(6):
        squad = squads[i // 3]
        device, created = Device.objects.get_or_create(
            serial=f"350100{i + 1}",
            defaults={
                "kind": DeviceKind.BODY_CAMERA,
                "unit": squad,
                "asset_no": f"ZC-2026-{i + 1:03d}",
                "brand_model": "警翼 X8",
            },
        )
        if created:
            holder = officers[(i // 3) * 5 + i % 3]
            issue_device(device, holder, when=issued_at)
    return squads, officers


def _base() -> dt.datetime:
    """Yesterday 09:30, Beijing time: when the demo's field day starts."""
    tz = ZoneInfo("Asia/Shanghai")
    return timezone.now().astimezone(tz).replace(
        hour=9, minute=30, second=0, microsecond=0
    ) - dt.timedelta(days=1)


def _activities(squads: list[Unit]) -> None:
    """Yesterday's activities of squad 1, so the compliance pages have something to show: an
    inspection whose record of inspection ends 10 minutes after the video (000§12), a sampling
    whose last minutes nobody recorded (000§15), a seizure nobody recorded (000§9)."""
    from avrecords.compliance import activities as acts
    from avrecords.compliance.engine import evaluate_activity

    base = _base()
    minute = dt.timedelta(minutes=1)
    people = {u.username: u for u in User.objects.filter(unit=squads[0])}
    plan = [
        ("on_site_inspection", "zhangwei", -1, 2, "桐柏县华兴食品有限公司", "城关镇新华路8号",
         ("现场检查笔录", -1, 10)),
        ("sampling", "wangfang", 44, 50, "桐柏县老街副食店", "城关镇老街12号", None),
        ("seal_seizure", "liuyang", 300, 330, "桐柏县某小作坊", "月河镇工业园", None),
    ]  # fmt: skip
    admin = User.objects.get(username="guanli")
    for kind, who, start, end, party, place, document in plan:
        extra = {}
        if document:
            name, doc_start, doc_end = document
            extra = {
                "document_name": name,
                "document_started_at": base + doc_start * minute,
                "document_ended_at": base + doc_end * minute,
            }
        activity = acts.create_activity(
            admin,
            acts.ActivityInput(
                unit=squads[0],
                kind=kind,
                started_at=base + start * minute,
                ended_at=base + end * minute,
                officers=[people[who]],
                party=party,
                place=place,
                **extra,
            ),
        )
        evaluate_activity(activity)


def _recordings(squads: list[Unit]) -> None:
    base = _base()
    plan = [
        # (squad, serial, officer_no, offset minutes, maker, suffix)
        (
            0,
            "3501001",
            "350211",
            0,
            # 张伟 says the notice from 0:05 (demo/notice.py)
            lambda p: media.make_video(
                p, width=640, height=360, fps=5, sound=notice.sound(notice.WITH_NOTICE)
            ),
            ".MP4",
        ),
        (
            0,
            "3501001",
            "350211",
            1,
            lambda p: media.make_video(p, seconds=4, width=640, height=360, variant=1),
            ".MP4",
        ),
        (
            0,
            "3501002",
            "350212",
            45,
            # 王芳 does not say it
            lambda p: media.make_video(
                p,
                codec="hevc",
                width=640,
                height=360,
                fps=5,
                sound=notice.sound(notice.WITHOUT_NOTICE),
            ),
            ".MP4",
        ),
        (0, "3501003", "350213", 90, lambda p: media.make_photo(p), ".JPG"),
        (
            1,
            "3501004",
            "350221",
            120,
            lambda p: media.make_video(p, seconds=5, width=640, height=360, variant=2),
            ".MP4",
        ),
        (1, "3501005", "350222", 150, lambda p: media.make_audio(p, seconds=5), ".AMR"),
        (
            1,
            "3501009",
            "350299",
            200,
            lambda p: media.make_video(p, seconds=3, width=640, height=360, variant=3),
            ".MP4",
        ),
    ]
    with tempfile.TemporaryDirectory(prefix="avrecords-demo-") as tmp:
        dumps = [Path(tmp) / "squad1" / "DCIM", Path(tmp) / "squad2" / "DCIM"]
        for d in dumps:
            d.mkdir(parents=True)
        for seq, (squad, serial, officer_no, minutes, make, suffix) in enumerate(plan, start=1):
            ts = (base + dt.timedelta(minutes=minutes)).strftime("%Y%m%d%H%M%S")
            make(dumps[squad] / f"{serial}_{officer_no}_{ts}_{seq:04d}{suffix}")
        for squad, dump in zip(squads, dumps, strict=True):
            station = Station.objects.get(unit=squad)
            ingest_directory(dump.parent, source=IngestSource.STATION, station=station)


def load_demo() -> bool:
    """Load the demo agency; returns False if it was already there (nothing is changed then)."""
    if Unit.objects.filter(code=BUREAU_CODE).exists():
        return False
    squads, officers = _organisation()
    # A market-supervision bureau: the county market-supervision rules (000) apply.
    from avrecords.policies import services as policies
    from avrecords.policies.models import PolicyProfile

    policies.assign(
        None, Unit.objects.get(code=BUREAU_CODE), PolicyProfile.objects.get(code="tongbai")
    )
    from avrecords.demo import equipment

    equipment.load(squads, officers)
    notice.load_references()
    _recordings(squads)
    _activities(squads)
    notice.check_now()
    from avrecords.demo import access

    access.load(squads)
    from avrecords.demo import retention

    retention.load(squads)
    from avrecords.demo import supervision

    supervision.load(squads)
    return True


def logins() -> list[tuple[str, str]]:
    rows = [(u, n) for u, n, _, _ in STAFF] + [
        (u, f"{n}（执法人员）") for u, n, _, _, _ in OFFICERS[:2]
    ]
    return rows
