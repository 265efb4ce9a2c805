"""Issue 3 §6: an embedded installation moves onto the configured engines, hash by hash."""

from __future__ import annotations

import os
import shutil

import pytest

from avrecords.audit.models import AuditEntry
from avrecords.audit.services import verify_chain
from avrecords.lib.storage import get_store
from avrecords.recordings.models import QuarantinedFile, Recording
from avrecords.upgrade.transfer import TransferError, transfer
from tests import media as m
from tests.cli import CliHome


@pytest.fixture(scope="module")
def old_install(tmp_path_factory, library):
    """A real embedded installation: one camera dump imported, with a quarantined file."""
    home = tmp_path_factory.mktemp("old") / "home"
    cli = CliHome(home, migrated=True)
    dump = home.parent / "cam" / "DCIM"
    dump.mkdir(parents=True)
    for name in (m.H264, m.HEVC, m.PHOTO, m.WAV, m.TRUNCATED):
        shutil.copyfile(library / name, dump / name)
    code, summary = cli.ingest(dump.parent)
    assert code == 0 and summary["counts"]["imported"] == 4, summary
    assert summary["counts"]["quarantined"] == 1
    return cli


def _old_rows(cli: CliHome, table: str) -> list[tuple]:
    return cli.query(f"SELECT id, sha256, storage_key FROM {table} ORDER BY id")


@pytest.mark.django_db(transaction=True)
def test_every_row_object_and_audit_entry_arrives_intact(old_install):
    report = transfer(old_install.home)

    old = _old_rows(old_install, "recordings_recording")
    new = list(Recording.objects.order_by("id").values_list("id", "sha256", "storage_key"))
    assert new == old and len(new) == 4
    quarantined = _old_rows(old_install, "recordings_quarantinedfile")
    assert list(QuarantinedFile.objects.values_list("id", "sha256", "storage_key")) == quarantined
    store = get_store()
    for rec in Recording.objects.all():
        assert store.verify(rec.storage_key, rec.sha256)
    assert report.objects == 5 and report.bytes == sum(
        r.size_bytes for r in Recording.objects.all()
    ) + sum(q.size_bytes for q in QuarantinedFile.objects.all())

    result = verify_chain()
    assert result.ok, result.problem
    old_entries = old_install.query("SELECT seq, entry_hash FROM audit_auditentry ORDER BY seq")
    moved = list(AuditEntry.objects.order_by("seq").values_list("seq", "entry_hash"))
    assert moved[: len(old_entries)] == old_entries
    assert AuditEntry.objects.order_by("-seq").first().action == "install.transferred"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_merge_into_a_database_that_already_has_data(old_install):
    transfer(old_install.home)
    with pytest.raises(TransferError, match="目标数据库已有数据"):
        transfer(old_install.home)


@pytest.mark.django_db(transaction=True)
def test_a_corrupted_old_original_stops_the_transfer_before_any_row_is_loaded(
    old_install, tmp_path
):
    copy = tmp_path / "old-copy"
    shutil.copytree(old_install.home, copy, symlinks=True)
    (key,) = old_install.query(
        "SELECT storage_key FROM recordings_recording WHERE media_kind='photo'"
    )[0:1][0]
    victim = copy / "store" / key
    os.chmod(victim, 0o644)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))

    with pytest.raises(TransferError, match="文件哈希不符"):
        transfer(copy)
    assert not Recording.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_directory_that_is_no_installation_is_refused(tmp_path):
    with pytest.raises(TransferError, match="没有数据库文件"):
        transfer(tmp_path)
