"""X1, issue 15 row 10: the audit chain anchored outside the database.

Someone with write access to the database can drop the append-only triggers, rewrite an entry
and recompute every hash after it: the plain `audit verify` then passes. The signed anchor
files, kept outside the database, still hold the old hashes: `audit verify --anchors DIR`
fails and names the first anchor that no longer matches. Anchors are signed (a forged one is
reported), written once and 0600; evidence packages carry a fresh anchor and a signature over
their tag manifest; the public key's fingerprint is on the 审计锚定 page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import subprocess
import zipfile
from io import BytesIO, StringIO
from pathlib import Path

import bagit
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from avrecords.audit import anchors, triggers
from avrecords.audit import services as audit
from avrecords.audit.chain import hash_entry
from avrecords.audit.models import AuditEntry, AuditHead
from avrecords.evidence import bag as bags
from avrecords.evidence.items import Item, PackageInfo
from avrecords.evidence.services import seal_for
from avrecords.jobs import services as jobs
from avrecords.jobs.audit_anchor import ANCHOR_JOB, enqueue_daily
from avrecords.lib import signing
from tests.conftest import client_for

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def keyed(settings, tmp_path):
    """A key of this test's own (as `avrecords init` makes) and an empty anchor directory."""
    settings.AVRECORDS_AUDIT_KEY_PATH = tmp_path / "keys" / "audit-signing.key"
    settings.AVRECORDS_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    signer, made = anchors.ensure_key()
    assert made
    return signer


def _write(org, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.record(
            "recording.view",
            actor=org.admin,
            object_type="recordings.recording",
            object_id=i,
            summary=f"查看第{i}号音像记录",
            detail={"i": i},
        )


def _rewrite_history(seq: int, summary: str) -> None:
    """The attack: triggers dropped, one entry edited, every later hash recomputed, the head
    moved to match — what the plain chain check cannot tell from an untouched log."""
    triggers.remove(connection)
    prev = AuditEntry.objects.get(seq=seq - 1).entry_hash
    for e in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        fields = {
            "seq": e.seq,
            "at": audit._normalise(e.at),
            "actor_id": e.actor_id,
            "actor_label": e.actor_label,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "summary": summary if e.seq == seq else e.summary,
            "detail": e.detail,
            "ip": e.ip,
            "prev_hash": prev,
        }
        new_hash = hash_entry(**fields)
        AuditEntry.objects.filter(pk=e.pk).update(
            summary=fields["summary"], prev_hash=prev, entry_hash=new_hash
        )
        prev = new_hash
    AuditHead.objects.filter(id=1).update(last_hash=prev)


def _verify_anchors(directory, *public_keys) -> str:
    out = StringIO()
    extra = [arg for key in public_keys for arg in ("--public-key", str(key))]
    call_command("audit", "verify", "--anchors", str(directory), *extra, stdout=out)
    return out.getvalue()


def test_an_untouched_chain_verifies_against_its_anchors(org, keyed, settings):
    _write(org, 4)
    first = anchors.make_anchor("手动锚定")
    _write(org, 3)
    second = anchors.make_anchor("每日锚定")
    _write(org, 2)
    out = _verify_anchors(settings.AVRECORDS_AUDIT_ANCHOR_DIR)
    assert "2 个锚定文件签名有效" in out
    assert f"第 {second.seq} 条" in out and first.seq < second.seq
    assert signing.grouped(keyed.public.fingerprint) in out


def test_a_rewritten_history_passes_the_plain_check_but_fails_against_the_anchors(
    org, keyed, settings
):
    _write(org, 3)
    before = anchors.make_anchor("每日锚定")  # entries up to here stay as they were
    _write(org, 4)
    first_broken = anchors.make_anchor("每日锚定")
    _write(org, 2)
    anchors.make_anchor("每日锚定")
    edited = before.seq + 2  # after the first anchor, before the second
    _rewrite_history(edited, "查看第0号音像记录（已改写）")

    assert audit.verify_chain().ok  # the attack the finding describes
    with pytest.raises(CommandError) as failed:
        _verify_anchors(settings.AVRECORDS_AUDIT_ANCHOR_DIR)
    message = str(failed.value)
    assert f"锚定文件 {first_broken.name}" in message
    assert f"第 {before.seq + 1} 至第 {first_broken.seq} 条之间的记录在锚定后被改写" in message
    assert before.name not in message  # the entries it anchors are proven unchanged


def test_the_command_line_exits_non_zero_in_chinese_on_a_rewritten_history(
    org, keyed, settings, capsys
):
    from avrecords.cli import main

    _write(org, 3)
    anchor = anchors.make_anchor("每日锚定")
    _rewrite_history(2, "改写")
    code = main(["avrecords", "audit", "verify", "--anchors", str(anchor_dir(settings))])
    assert code == 1
    assert f"锚定文件 {anchor.name}" in capsys.readouterr().err


def anchor_dir(settings) -> Path:
    return Path(settings.AVRECORDS_AUDIT_ANCHOR_DIR)


def test_a_truncated_tail_fails_against_the_anchor(org, keyed, settings):
    _write(org, 5)
    anchor = anchors.make_anchor("每日锚定")  # its own audit.anchor entry follows it
    triggers.remove(connection)
    kept = anchor.seq - 2
    AuditEntry.objects.filter(seq__gt=kept).delete()
    AuditHead.objects.filter(id=1).update(
        last_seq=kept, last_hash=AuditEntry.objects.get(seq=kept).entry_hash
    )
    assert audit.verify_chain().ok
    with pytest.raises(CommandError, match=f"只到第 {kept} 条，其后的记录已被删除"):
        _verify_anchors(anchor_dir(settings))


def test_a_forged_anchor_file_is_reported(org, keyed, settings):
    _write(org, 3)
    anchor = anchors.make_anchor("每日锚定")
    path = anchor_dir(settings) / anchor.name
    _rewrite_history(2, "改写")
    # The attacker also edits the anchor to the rewritten hash, but cannot sign it …
    document = json.loads(path.read_text())
    document["head_hash"] = AuditEntry.objects.get(seq=anchor.seq).entry_hash
    os.chmod(path, 0o600)
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match=f"锚定文件 {anchor.name} 签名无效"):
        _verify_anchors(anchor_dir(settings))
    # … and one signed with his own key is not trusted either.
    impostor = signing.new_signer("ed25519")
    body = {k: v for k, v in document.items() if k != "signature"}
    body["key_fingerprint"] = impostor.public.fingerprint
    forged = anchors.Anchor(body, impostor.sign(anchors.canonical(body)), anchor.name)
    path.write_bytes(forged.to_json())
    with pytest.raises(CommandError, match="由不受信任的密钥签名"):
        _verify_anchors(anchor_dir(settings))


def test_verifying_with_the_printed_public_key_trusts_only_that_key(org, keyed, settings, tmp_path):
    _write(org, 2)
    anchors.make_anchor("每日锚定")
    printed = tmp_path / "printed.pub"
    printed.write_text(keyed.public.pem())
    assert "签名有效" in _verify_anchors(anchor_dir(settings), printed)
    other = tmp_path / "other.pub"
    other.write_text(signing.new_signer("ed25519").public.pem())
    with pytest.raises(CommandError, match="不受信任的密钥"):
        _verify_anchors(anchor_dir(settings), other)


def test_anchor_files_are_private_and_never_overwritten(org, keyed, settings):
    _write(org, 2)
    anchor = anchors.make_anchor("每日锚定")
    path = anchor_dir(settings) / anchor.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(anchor_dir(settings).stat().st_mode) == 0o700
    original = path.read_bytes()
    with pytest.raises(anchors.AnchorRefused, match="已存在，不会覆盖"):
        anchors.write_once(path, b"{}")
    assert path.read_bytes() == original
    assert [p.name for p in anchor_dir(settings).iterdir()] == [anchor.name]  # no leftovers


def test_anchoring_refuses_a_chain_rewritten_since_the_last_anchor(org, keyed, settings):
    _write(org, 3)
    anchors.make_anchor("每日锚定")
    _write(org, 2)
    _rewrite_history(2, "改写")
    before = sorted(p.name for p in anchor_dir(settings).iterdir())
    with pytest.raises(anchors.AnchorRefused, match="已拒绝锚定"):
        anchors.make_anchor("每日锚定")
    assert sorted(p.name for p in anchor_dir(settings).iterdir()) == before


def test_an_anchor_needs_the_key_that_init_makes(org, settings, tmp_path):
    settings.AVRECORDS_AUDIT_KEY_PATH = tmp_path / "nokeys" / "audit-signing.key"
    with pytest.raises(anchors.AnchorRefused, match="avrecords init"):
        anchors.make_anchor("手动锚定")


def test_the_key_is_made_once_private_with_its_public_part_beside_it(settings, tmp_path):
    settings.AVRECORDS_AUDIT_KEY_PATH = tmp_path / "keys" / "audit-signing.key"
    signer, made = anchors.ensure_key()
    again, made_again = anchors.ensure_key()
    assert made and not made_again
    assert again.public.fingerprint == signer.public.fingerprint
    key = settings.AVRECORDS_AUDIT_KEY_PATH
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    public = signing.public_key_from_pem(signing.public_path(key).read_text())
    assert public.fingerprint == signer.public.fingerprint


def test_init_makes_the_signing_key_and_shows_its_fingerprint(db, settings, tmp_path):
    settings.AVRECORDS_AUDIT_KEY_PATH = tmp_path / "keys" / "audit-signing.key"
    out = StringIO()
    call_command("avinit", stdout=out)
    key = keyed_path(settings)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    fingerprint = signing.load_signer(key).public.fingerprint
    assert "审计签名密钥已生成" in out.getvalue()
    assert signing.grouped(fingerprint) in out.getvalue()
    again = StringIO()
    call_command("avinit", stdout=again)
    assert "审计签名密钥已存在" in again.getvalue()
    assert signing.load_signer(key).public.fingerprint == fingerprint


def test_sm2_anchors_prove_the_same(org, settings, tmp_path):
    """Where the agency requires national algorithms: SM2 signatures over SM3."""
    settings.AVRECORDS_AUDIT_KEY_ALGORITHM = "sm2"
    settings.AVRECORDS_AUDIT_KEY_PATH = tmp_path / "keys" / "audit-signing.key"
    signer, _ = anchors.ensure_key()
    assert signer.algorithm == "sm2" and "SM2 PRIVATE KEY" in signer.private_pem()
    _write(org, 3)
    anchor = anchors.make_anchor("每日锚定")
    assert anchor.algorithm == "sm2" and len(anchor.signature) == 64
    assert "1 个锚定文件签名有效" in _verify_anchors(anchor_dir(settings))
    _rewrite_history(2, "改写")
    with pytest.raises(CommandError, match=f"锚定文件 {anchor.name}"):
        _verify_anchors(anchor_dir(settings))


def test_the_worker_anchors_once_a_day_after_the_configured_hour(org, keyed, settings):
    settings.AVRECORDS_AUDIT_ANCHOR_DAILY_HOUR = 2
    _write(org, 2)
    assert enqueue_daily(dt.datetime(2026, 12, 6, 1, 30, tzinfo=SHANGHAI)) is None
    job = enqueue_daily(dt.datetime(2026, 12, 6, 2, 5, tzinfo=SHANGHAI))
    assert job is not None and job.kind == ANCHOR_JOB
    assert enqueue_daily(dt.datetime(2026, 12, 6, 9, 0, tzinfo=SHANGHAI)) is None
    assert jobs.run(job.pk) == "done"
    files = list(anchor_dir(settings).glob("anchor-*.json"))
    assert len(files) == 1 and anchors.parse(files[0].read_bytes()).purpose == "每日锚定"
    assert enqueue_daily(dt.datetime(2026, 12, 7, 2, 0, tzinfo=SHANGHAI)) is not None


def test_the_anchor_command_writes_one_now(org, keyed, settings):
    _write(org, 2)
    out = StringIO()
    call_command("audit", "anchor", stdout=out)
    files = list(anchor_dir(settings).glob("anchor-*.json"))
    assert len(files) == 1 and str(files[0]) in out.getvalue()
    assert AuditEntry.objects.order_by("-seq").first().action == "audit.anchor"


# ---- evidence packages -------------------------------------------------------------------


def _package(tmp_path: Path, seal) -> Path:
    original = tmp_path / "clip.mp4"
    original.write_bytes(b"\x00\x01recording" * 1000)
    item = Item(
        name="执法记录_张伟.mp4",
        size=original.stat().st_size,
        sha256=hashlib.sha256(original.read_bytes()).hexdigest(),
        open=lambda: open(original, "rb"),
        meta={},
    )
    info = PackageInfo(
        number="ZJ-2026-0009",
        agency="桐柏县市场监督管理局",
        unit="城区市场监管所",
        case_number="",
        case_title="",
        activity="",
        maker="林海",
        extractor="赵敏",
        extracted_at=dt.datetime(2026, 12, 6, 10, 0, tzinfo=SHANGHAI),
        place="",
        purpose="作为证据使用",
        approvers=["李明"],
    )
    (tmp_path / "out").mkdir()
    return bags.build_bag(tmp_path / "out" / info.number, [item], info, None, seal=seal)


def test_an_evidence_package_carries_a_fresh_anchor_and_a_signed_tag_manifest(
    org, keyed, settings, tmp_path
):
    _write(org, 3)
    head = AuditEntry.objects.order_by("-seq").first()
    bag = _package(tmp_path, seal_for("ZJ-2026-0009"))

    anchor = anchors.parse((bag / bags.ANCHOR_NAME).read_bytes())
    assert (anchor.seq, anchor.head_hash) == (head.seq, head.entry_hash)
    assert anchor.purpose == "证据包 ZJ-2026-0009"
    assert anchor.signed_by(keyed.public)
    assert (anchor_dir(settings) / anchor.name).exists()  # kept with the other anchors too

    manifest = (bag / bags.TAG_MANIFEST).read_bytes()
    listed = {line.split()[1] for line in manifest.decode().splitlines()}
    assert {bags.ANCHOR_NAME, bags.PUBLIC_KEY_NAME, "bag-info.txt"} <= listed
    assert bags.SIGNATURE_NAME not in listed  # it signs the manifest, so cannot be in it
    key = signing.public_key_from_pem(signing.public_path(keyed_path(settings)).read_text())
    assert key.verify(manifest, (bag / bags.SIGNATURE_NAME).read_bytes())
    assert (bag / bags.PUBLIC_KEY_NAME).read_text() == key.pem()
    bagit.Bag(str(bag)).validate()
    assert bags.verify_bag(bag) == []


def keyed_path(settings) -> Path:
    return Path(settings.AVRECORDS_AUDIT_KEY_PATH)


def test_openssl_verifies_the_tag_manifest_signature(org, keyed, settings, tmp_path):
    if subprocess.run(["which", "openssl"], capture_output=True).returncode:
        pytest.skip("openssl not installed")
    bag = _package(tmp_path, seal_for("ZJ-2026-0009"))
    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(bag / bags.PUBLIC_KEY_NAME),
            "-rawin",
            "-in",
            str(bag / bags.TAG_MANIFEST),
            "-sigfile",
            str(bag / bags.SIGNATURE_NAME),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_tag_manifest_edited_after_signing_is_reported(org, keyed, tmp_path):
    bag = _package(tmp_path, seal_for("ZJ-2026-0009"))
    info = bag / "bag-info.txt"
    info.write_text(info.read_text() + "Purpose: 改写\n")
    digest = hashlib.sha256(info.read_bytes()).hexdigest()
    lines = (bag / bags.TAG_MANIFEST).read_text().splitlines()
    fixed = [f"{digest}  bag-info.txt" if line.endswith("bag-info.txt") else line for line in lines]
    (bag / bags.TAG_MANIFEST).write_text("\n".join(fixed) + "\n")  # bagit alone is satisfied
    assert any("证据包签名无效" in p for p in bags.verify_bag(bag))


# ---- the page ---------------------------------------------------------------------------


def test_the_anchors_page_shows_the_public_key_fingerprint_and_the_anchors(org, keyed):
    _write(org, 2)
    anchor = anchors.make_anchor("每日锚定")
    page = client_for(org.sysadmin).get("/audit/anchors/").content.decode()
    assert signing.grouped(keyed.public.fingerprint) in page
    assert anchor.name in page and anchor.head_hash in page and "有效" in page
    assert client_for(org.officer).get("/audit/anchors/").status_code == 403


def test_the_anchors_print_and_disc_copies(org, keyed):
    _write(org, 2)
    anchor = anchors.make_anchor("每日锚定")
    client = client_for(org.sysadmin)
    pdf = client.get("/audit/anchors/anchors.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    disc = client.get("/audit/anchors/anchors.zip")
    with zipfile.ZipFile(BytesIO(disc.content)) as zf:
        names = set(zf.namelist())
        assert f"anchors/{anchor.name}" in names
        key = signing.public_key_from_pem(zf.read("anchors/audit-signing-key.pub").decode())
    assert key.fingerprint == keyed.public.fingerprint
    exports = AuditEntry.objects.filter(action="audit.anchor_export", actor=org.sysadmin)
    assert exports.count() == 2
