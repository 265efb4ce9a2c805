"""Evidence packages under approved requests (M6, M7): build as a job, download once, discs.

`start_package` runs when an export or preservation request is carried out: it creates the
package row and a `jobs.Job` (lease, heartbeat, attempts: a killed worker's build is run again
from the start in a fresh directory). The build copies each original from the store while
hashing it and stops, naming the file, if a hash no longer matches what ingest recorded
(`TamperedOriginal`); where the requester asked (同时附脱敏副本), each recording's signed-off
redacted copies go in beside it, named as such, with their SHA-256 in the manifest (issue 21
§3; M2: derived copies are separate files, the originals are untouched); it writes the BagIt bag with the 文字说明材料, a zip of it and the ISO
image. The requester downloads each artifact once while his grant is live; each download is
registered in the 复制登记簿 and audited.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from avrecords.access.grants import register
from avrecords.access.models import AccessRequest, RegisterKind, RequestKind
from avrecords.access.requests import is_live
from avrecords.audit import anchors
from avrecords.audit import services as audit
from avrecords.audit.anchors import AnchorRefused
from avrecords.evidence.models import Artifact, Disc, Download, Package, PackageState
from avrecords.jobs import services as jobs
from avrecords.lib.refusals import Refusal
from avrecords.org.models import Role
from avrecords.org.scope import sees_everything
from avrecords.recordings import services as recordings

log = logging.getLogger(__name__)
COPIES = 2  # 000§20 / 003§16: 一式两份
PROGRESS_EVERY = 1.0  # seconds between progress writes


class PackageRefused(Refusal, ValueError):
    """A download or disc entry that cannot be made (not built, taken, expired); Chinese.
    The API has always answered it 400, and still does."""


def start_package(req: AccessRequest) -> Package:
    items = items_for(req)
    package = Package.objects.create(
        request=req,
        number=req.number,
        files=len(items),
        bytes_total=sum(item.size for item in items),
    )
    if req.kind == RequestKind.PRESERVE:
        Disc.objects.bulk_create(Disc(package=package, copy_no=n) for n in range(1, COPIES + 1))
    package.job = jobs.enqueue("evidence.package", "package", package.pk)
    package.save(update_fields=["job"])
    return package


def directory(package: Package) -> Path:
    return Path(settings.AVRECORDS_EXPORT_PATH) / package.number


def items_for(req: AccessRequest):
    from avrecords.evidence.items import Item, safe_name

    items = []
    rows = req.recordings.select_related("officer", "device", "unit").order_by("started_at", "pk")
    for n, rec in enumerate(rows, start=1):
        source = recordings.original_source(rec)
        officer = rec.officer.display_name if rec.officer else "未指派"
        meta = {
            "recording_id": rec.pk,
            "device": str(rec.device) if rec.device else rec.device_serial or "未登记",
            "officer": officer,
            "unit": rec.unit.name if rec.unit else "",
            "started_at": rec.started_at,
            "ended_at": rec.ended_at,
            "duration_seconds": rec.duration_seconds,
            "original_name": rec.original_name,
        }
        items.append(
            Item(
                name=safe_name(f"{n:03d}_{officer}_{rec.original_name}"),
                size=rec.size_bytes,
                sha256=rec.sha256,
                open=lambda source=source: recordings.open_media(source),
                meta=meta,
            )
        )
        if req.with_redacted:
            items.extend(redacted_items(rec, f"{n:03d}_{officer}", meta))
    return items


def redacted_items(rec, prefix: str, meta: dict):
    """The recording's signed-off redacted copies, each a file beside its original named
    "…_脱敏副本<n>.mp4" (issue 21 §3); their SHA-256 is the one recorded when rendered."""
    from avrecords.evidence.items import Item, safe_name
    from avrecords.redaction.models import Redaction, State

    stem = rec.original_name.rsplit(".", 1)[0]
    copies = (
        Redaction.objects.filter(recording=rec, state=State.SIGNED_OFF)
        .exclude(output_sha256="")
        .order_by("pk")
    )
    items = []
    for copy in copies:
        path = Path(settings.AVRECORDS_DERIVED_PATH) / copy.output_path
        end = copy.end_seconds if copy.end_seconds is not None else rec.duration_seconds
        items.append(
            Item(
                name=safe_name(f"{prefix}_{stem}_脱敏副本{copy.pk}.mp4"),
                size=copy.output_size or 0,
                sha256=copy.output_sha256,
                open=lambda path=path: path.open("rb"),
                meta={
                    **meta,
                    "redaction_id": copy.pk,
                    "duration_seconds": None if end is None else end - copy.start_seconds,
                    "original_name": f"{rec.original_name}（脱敏副本 #{copy.pk}）",
                },
            )
        )
    return items


def info_for(req: AccessRequest):
    from avrecords.evidence.items import PackageInfo
    from avrecords.policies.services import profile_for_unit

    profile = profile_for_unit(req.unit)
    case = req.case
    maker = req.executor or req.requester
    return PackageInfo(
        number=req.number,
        agency=profile.agency if profile else req.unit.name,
        unit=req.unit.name,
        case_number=case.number if case else "",
        case_title=case.title if case else "",
        activity=str(req.activity.kind_name) if req.activity_id else "",
        maker=maker.display_name,
        extractor=req.requester.display_name,
        extracted_at=timezone.localtime(req.executed_at or timezone.now()),
        place=req.place or req.unit.name,
        purpose="长期保存" if req.kind == RequestKind.PRESERVE else "作为证据使用",
        approvers=[s.approver.display_name for s in req.steps.select_related("approver")],
    )


class _Progress:
    def __init__(self, package_id: int) -> None:
        self.package_id, self.last = package_id, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY or done >= total:
            self.last = now
            Package.objects.filter(pk=self.package_id).update(bytes_done=min(done, total))


def _zip(bag: Path, target: Path) -> None:
    """The bag as one zip (stored, not compressed: media does not shrink; ZIP64 for 4 GB+),
    copied by the kernel with the CRC-32 computed alongside (evidence.archive)."""
    from avrecords.evidence.archive import zip_bag

    zip_bag(bag, target)


@jobs.handler("evidence.package")
def build(job) -> None:
    from avrecords.evidence.bag import build_bag
    from avrecords.evidence.documents import statement_pdf
    from avrecords.evidence.iso import build_iso
    from avrecords.evidence.items import TamperedOriginal

    package = Package.objects.select_related("request__unit", "request__requester").get(
        pk=int(job.subject_id)
    )
    if package.state == PackageState.READY:
        return
    req = package.request
    out = directory(package)
    shutil.rmtree(out, ignore_errors=True)  # a previous attempt's leftovers
    out.mkdir(parents=True)
    Package.objects.filter(pk=package.pk).update(
        state=PackageState.BUILDING, bytes_done=0, error="", directory=str(out)
    )
    items, info = items_for(req), info_for(req)
    try:
        bag = build_bag(
            out / package.number,
            items,
            info,
            statement_pdf(info, items),
            _Progress(package.pk),
            seal=seal_for(package.number),
        )
    except (TamperedOriginal, ValueError, AnchorRefused) as exc:
        # ValueError: a file name the package refuses (items.check_names); AnchorRefused: no
        # signing key, or an audit chain that left its last anchor. No retry helps either.
        shutil.rmtree(out, ignore_errors=True)
        log.error("package %s failed: %r", package.number, exc)
        Package.objects.filter(pk=package.pk).update(state=PackageState.FAILED, error=str(exc))
        audit.record(
            "evidence.tampered" if isinstance(exc, TamperedOriginal) else "evidence.failed",
            obj=req,
            summary=f"证据包 {package.number} 生成失败：{exc}",
        )
        return
    _zip(bag, out / f"{package.number}.zip")
    build_iso(bag, out / f"{package.number}.iso", volume_id=package.number.replace("-", "_"))
    Package.objects.filter(pk=package.pk).update(
        state=PackageState.READY,
        ready_at=timezone.now(),
        bytes_done=package.bytes_total,
        bag_bytes=(out / f"{package.number}.zip").stat().st_size,
        iso_bytes=(out / f"{package.number}.iso").stat().st_size,
    )
    shutil.rmtree(bag)  # the zip and the image hold it; the directory is not served
    audit.record("evidence.ready", obj=req, summary=f"证据包 {package.number} 已生成")


def seal_for(number: str):
    """A fresh signed anchor of the audit chain, made now for this package, and the key that
    signs its tag manifest (X1); AnchorRefused (Chinese) when neither can be had."""
    from avrecords.evidence.bag import Seal

    signer = anchors.installation_signer()
    anchor = anchors.make_anchor(f"证据包 {number}")
    return Seal(anchor.to_json(), signer.public.pem(), signer.sign)


def artifact_path(package: Package, artifact: str) -> Path:
    suffix = {Artifact.BAG: ".zip", Artifact.ISO: ".iso"}[artifact]
    return directory(package) / f"{package.number}{suffix}"


def why_not_download(user, package: Package, artifact: str) -> str | None:
    req = package.request
    if user.pk != req.requester_id:
        return "只有申请人可以下载证据包"
    if not is_live(req):
        return "授权已过期或已撤销，不能下载"
    if package.state != PackageState.READY:
        return f"证据包{package.get_state_display()}，暂不能下载"
    if package.downloads.filter(artifact=artifact).exists():
        return "该文件已下载过一次；如需再次导出请重新申请"
    if not artifact_path(package, artifact).exists():
        return "文件已不在服务器上，请重新申请导出"
    return None


def take(user, package: Package, artifact: str, *, ip: str = ""):
    """Open the artifact for the one permitted download and register it. The file is unlinked
    once opened: the open handle streams it and no second copy can leave."""
    with transaction.atomic():
        package = (
            Package.objects.select_for_update(of=("self",))
            .select_related("request")
            .get(pk=package.pk)
        )
        if why := why_not_download(user, package, artifact):
            raise PackageRefused(why)
        path = artifact_path(package, artifact)
        handle = path.open("rb")
        Download.objects.create(package=package, artifact=artifact, by=user)
        label = Artifact(artifact).label
        register(
            package.request,
            register=RegisterKind.COPY,
            act=f"下载{label}",
            actor=user,
            item=f"{package.number}（{package.files} 个文件）",
            ip=ip,
        )
        audit.record(
            "evidence.download",
            actor=user,
            obj=package.request,
            summary=f"下载{label} {package.number}",
            ip=ip,
        )
    path.unlink()
    return handle, path.name


def can_record_discs(user) -> bool:
    """Archivists keep the discs (000§20: 由档案管理部门长期保存)."""
    return user.is_authenticated and (sees_everything(user) or user.role == Role.ARCHIVIST)


def record_disc(user, disc: Disc, *, location: str, burned_at=None) -> Disc:
    """The archivist writes down where a burned copy is kept (M6)."""
    if not location.strip():
        raise PackageRefused("请填写存放位置")
    with transaction.atomic():
        disc.location = location.strip()[:200]
        disc.burned_at = burned_at or disc.burned_at or timezone.now()
        disc.recorded_by = user
        disc.recorded_at = timezone.now()
        disc.save()
        audit.record(
            "evidence.disc",
            actor=user,
            obj=disc.package.request,
            summary=f"登记光盘 {disc.package.number} 第{disc.copy_no}份，存放于 {disc.location}",
        )
    return disc
