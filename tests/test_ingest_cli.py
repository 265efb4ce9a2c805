"""The station contract of `avrecords ingest`: summary, --json, exit status, one-line errors."""

from __future__ import annotations

import json

import pytest

from tests import media as m
from tests.cli import CliHome
from tests.media import make_dump


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    return CliHome(tmp_path_factory.mktemp("home"), migrated=True)


@pytest.mark.slow
def test_it_prints_a_summary_with_counts_bytes_and_throughput(cli, library, tmp_path):
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264, m.ZERO, m.UNSUPPORTED])
    result = cli.run("ingest", str(dump), "--station", "一中队采集站")
    assert result.returncode == 0, result.stderr
    assert "新导入 1" in result.stdout and "隔离 1" in result.stdout and "跳过 1" in result.stdout
    assert "MB/s" in result.stdout and "空文件" in result.stdout


@pytest.mark.slow
def test_json_output_is_one_object_with_every_file(cli, library, tmp_path):
    dump = make_dump(library, tmp_path / "CAMERA", [m.H264_B, m.DUPLICATE, m.TRUNCATED])
    result = cli.run("ingest", str(dump), "--station", "一中队采集站", "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)  # the whole of stdout is one JSON object
    assert set(report["counts"]) == {"imported", "duplicate", "quarantined", "skipped", "failed"}
    for item in report["files"]:
        assert {"path", "outcome", "sha256", "recording_id", "reason"} <= set(item)
    assert report["bytes"] > 0 and report["throughput_mb_s"] >= 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "args,message",
    [
        (["/no/such/camera", "--station", "一中队采集站"], "路径不存在"),
        (["{tmp}", "--station", "没有这个站"], "未登记的采集站"),
        (["{tmp}", "--station", "一中队采集站", "--operator", "nobody"], "未知的操作人"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(cli, tmp_path, args, message):
    result = cli.run("ingest", *[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.strip().count("\n") == 0
    assert cli.query(
        "SELECT COUNT(*) FROM recordings_ingestbatch WHERE source_path = ?", (str(tmp_path),)
    ) == [(0,)]
