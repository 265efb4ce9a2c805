"""M6/M7 evidence packages: a BagIt bag of the originals, its papers, and its disc image.

Originals are real files in tmp_path (two small MP4s and a plain-bytes audio stand-in), each
Item opening its file the way a store would. No database is needed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import bagit
import pycdlib
import pytest

from avrecords.demo import media
from avrecords.evidence import bag as bags
from avrecords.evidence import iso as images
from avrecords.evidence.documents import label_pdf, statement_pdf
from avrecords.evidence.items import (
    STATEMENT_NAME,
    Item,
    PackageInfo,
    TamperedOriginal,
    check_names,
    name_problem,
    safe_name,
)
from tests.pdf_streams import decoded

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def item_for(path: Path, name: str | None = None, **meta) -> Item:
    """An Item whose ingest record is the file as it is now."""
    return Item(
        name=name or path.name,
        size=path.stat().st_size,
        sha256=sha256_of(path),
        open=lambda: open(path, "rb"),
        meta=meta,
    )


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("clips")
    return [
        media.make_video(root / "3501001_350211_20261120093000_0001.mp4", seconds=1),
        media.make_video(root / "3501001_350211_20261120093500_0002.mp4", seconds=1, variant=1),
    ]


@pytest.fixture
def originals(tmp_path, clips) -> list[Item]:
    store = tmp_path / "store"
    store.mkdir()
    paths = []
    for clip in clips:
        paths.append(store / clip.name)
        paths[-1].write_bytes(clip.read_bytes())
    audio = store / "询问录音.wav"
    audio.write_bytes(bytes(range(256)) * 500)
    start = datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
    return [
        item_for(
            paths[0],
            "执法记录_张伟_20261120093000.mp4",
            recording_id=1,
            device="执法记录仪 3501001",
            officer="张伟（350211）",
            unit="城区市场监管所",
            started_at=start,
            ended_at=start.replace(second=1),
            duration_seconds=1.0,
            original_name=paths[0].name,
        ),
        item_for(
            paths[1],
            "执法记录_张伟_20261120093500.mp4",
            device="执法记录仪 3501001",
            officer="张伟（350211）",
            started_at=start.replace(minute=35),
            ended_at=start.replace(minute=35, second=1),
            duration_seconds=1.0,
        ),
        item_for(audio, "询问录音_李四.wav", officer="王芳（350212）", duration_seconds=3725),
    ]


@pytest.fixture
def info() -> PackageInfo:
    return PackageInfo(
        number="ZJ-2026-0007",
        agency="桐柏县市场监督管理局",
        unit="城区市场监管所",
        case_number="桐市监罚〔2026〕12号",
        case_title="张三食品店销售过期食品案",
        activity="",
        maker="林海",
        extractor="赵敏",
        extracted_at=datetime(2026, 11, 21, 15, 4, tzinfo=SHANGHAI),
        place="局执法音像记录管理室",
        purpose="作为证据使用",
        approvers=["李明", "王芳"],
    )


def pdf_text(content: bytes) -> str:
    """The text a reader would extract (via the ToUnicode maps), spaces and breaks dropped."""
    data = decoded(content)
    assert b"/FontFile3" in data or b"/FontFile2" in data, "font not embedded"
    glyphs = {
        int(gid, 16): chr(int(uni, 16))
        for gid, uni in re.findall(rb"<([0-9a-f]{4})> <([0-9a-f]{4})>", data)
    }
    shown = re.findall(rb"<([0-9a-f]+)>", b"".join(re.findall(rb"\[(.*?)\] TJ", data)))
    text = "".join(
        glyphs.get(int(run[i : i + 4], 16), "?") for run in shown for i in range(0, len(run), 4)
    )
    return text.replace(" ", "")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


# ---- the bag ------------------------------------------------------------------------------


def test_it_builds_a_bag_that_bagit_validates(tmp_path, originals, info):
    progress = []
    dest = bags.build_bag(
        tmp_path / "ZJ-2026-0007",
        originals,
        info,
        b"%PDF-1.7 statement",
        lambda done, total: progress.append((done, total)),
    )
    assert bagit.Bag(str(dest)).validate()
    assert (dest / "bagit.txt").read_text() == (
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )
    for item in originals:
        assert sha256_of(dest / "data" / item.name) == item.sha256
    assert (dest / "data" / STATEMENT_NAME).read_bytes() == b"%PDF-1.7 statement"
    manifest = (dest / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    assert sorted(manifest) == sorted(
        [f"{item.sha256}  data/{item.name}" for item in originals]
        + [f"{hashlib.sha256(b'%PDF-1.7 statement').hexdigest()}  data/{STATEMENT_NAME}"]
    )
    tagged = [
        line.split()[1] for line in (dest / "tagmanifest-sha256.txt").read_text().splitlines()
    ]
    assert tagged == ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"]
    total = sum(item.size for item in originals) + len(b"%PDF-1.7 statement")
    assert progress[-1] == (total, total)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert leftovers(tmp_path) == []


def test_bag_info_carries_the_package_facts_in_utf8(tmp_path, originals, info):
    dest = bags.build_bag(tmp_path / "bag", originals, info, None)
    raw = (dest / "bag-info.txt").read_bytes()
    assert "桐柏县市场监督管理局".encode() in raw
    fields = bagit.Bag(str(dest)).info
    payload = sum(item.size for item in originals)
    assert fields["Source-Organization"] == "桐柏县市场监督管理局"
    assert fields["External-Identifier"] == "ZJ-2026-0007"
    assert "张三食品店销售过期食品案" in fields["External-Description"]
    assert fields["Payload-Oxum"] == f"{payload}.3"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["Bagging-Date"])
    assert fields["Bag-Size"].endswith("KB")
    assert fields["Case-Number"] == "桐市监罚〔2026〕12号"
    assert fields["Case-Title"] == "张三食品店销售过期食品案"
    assert fields["Maker"] == "林海"
    assert fields["Extractor"] == "赵敏"
    assert fields["Extraction-Time"] == "2026-11-21T15:04:00+08:00"
    assert fields["Extraction-Place"] == "局执法音像记录管理室"
    assert fields["Purpose"] == "作为证据使用"
    assert fields["Approvers"] == "李明、王芳"
    assert "Activity" not in fields  # empty fields are left out


def test_a_tampered_original_stops_the_export_naming_it_and_leaves_no_bag(
    tmp_path, originals, info, caplog
):
    with originals[1].open() as fh:
        path = Path(fh.name)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed after ingest
    path.write_bytes(bytes(data))
    with pytest.raises(TamperedOriginal) as caught:
        bags.build_bag(tmp_path / "bag", originals, info, None)
    message = str(caught.value)
    assert "原始文件“执法记录_张伟_20261120093500.mp4”与入库时记录的哈希值不一致" in message
    assert f"入库 {originals[1].sha256[:8]}…" in message
    assert message.endswith("已停止导出")
    assert caught.value.name == originals[1].name
    assert caught.value.expected == originals[1].sha256
    assert caught.value.actual == hashlib.sha256(data).hexdigest()
    assert not (tmp_path / "bag").exists()
    assert leftovers(tmp_path) == []
    assert "differs from its ingest record" in caplog.text


def test_an_original_of_another_size_is_refused_too(tmp_path, originals, info):
    with originals[2].open() as fh:
        path = Path(fh.name)
    with open(path, "ab") as fh:
        fh.write(b"appended")
    with pytest.raises(TamperedOriginal, match="询问录音_李四.wav.*大小不一致"):
        bags.build_bag(tmp_path / "bag", originals, info, None)
    assert not (tmp_path / "bag").exists()
    assert leftovers(tmp_path) == []


def test_an_existing_destination_is_refused(tmp_path, originals, info):
    (tmp_path / "bag").mkdir()
    with pytest.raises(FileExistsError, match="已存在"):
        bags.build_bag(tmp_path / "bag", originals, info, None)
    assert list((tmp_path / "bag").iterdir()) == []


def test_a_bag_altered_afterwards_fails_verification_naming_the_file(tmp_path, originals, info):
    dest = bags.build_bag(tmp_path / "bag", originals, info, b"%PDF statement")
    assert bags.verify_bag(dest) == []
    victim = dest / "data" / originals[0].name
    data = bytearray(victim.read_bytes())
    data[100] ^= 0x01
    victim.write_bytes(bytes(data))
    assert bags.verify_bag(dest) == [
        "文件“执法记录_张伟_20261120093000.mp4”校验失败（SHA-256 不符）"
    ]


def test_a_bag_missing_a_file_or_holding_an_extra_one_fails_verification(tmp_path, originals, info):
    dest = bags.build_bag(tmp_path / "bag", originals, info, None)
    (dest / "data" / originals[2].name).unlink()
    problems = bags.verify_bag(dest)
    assert problems[0] == bags.OXUM_MISMATCH
    assert "缺少文件 询问录音_李四.wav" in problems
    (dest / "data" / "多余.txt").write_bytes(b"x" * originals[2].size)
    assert bags.verify_bag(dest) == [
        "缺少文件 询问录音_李四.wav",
        "多出清单中没有的文件 多余.txt",
    ]


def test_an_edited_bag_info_fails_verification(tmp_path, originals, info):
    dest = bags.build_bag(tmp_path / "bag", originals, info, None)
    text = (dest / "bag-info.txt").read_text(encoding="utf-8")
    (dest / "bag-info.txt").write_text(text.replace("林海", "某人"), encoding="utf-8")
    assert bags.verify_bag(dest) == ["文件“bag-info.txt”校验失败（SHA-256 不符）"]
    assert bags.verify_bag(tmp_path / "nothing")[0].startswith("证据包无法打开")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["a/b.mp4"], "不允许的字符"),
        ([" 前后空格.mp4"], "首尾不能有空白字符"),
        (["进度100%.mp4"], "不允许的字符"),
        (["执法" * 64 + ".mp4"], "过长"),
        (["A.MP4", "a.mp4"], "重复"),
        ([STATEMENT_NAME], "重复"),
    ],
)
def test_names_a_package_cannot_hold_are_refused(tmp_path, names, message, info):
    items = [Item(name, 1, "a" * 64, lambda: open(__file__, "rb")) for name in names]
    with pytest.raises(ValueError, match=message):
        check_names(items)
    with pytest.raises(ValueError, match=message):
        bags.build_bag(tmp_path / "bag", items, info, None)
    assert not (tmp_path / "bag").exists()


def test_safe_name_makes_any_name_acceptable():
    assert safe_name("现场:检查?100%.MP4") == "现场_检查_100_.MP4"
    long = safe_name("执法" * 80 + ".mp4")
    assert long.endswith(".mp4") and name_problem(long) is None
    assert safe_name(" \t ") == "_"


# ---- the papers ---------------------------------------------------------------------------


def test_the_statement_lists_every_file_with_its_full_hash(originals, info):
    content = statement_pdf(info, originals)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for item in originals:
        assert item.sha256 in text, item.name
        assert item.name in text
    for fact in (
        "文字说明材料",
        "ZJ-2026-0007",
        "桐市监罚〔2026〕12号",
        "张三食品店销售过期食品案",
    ):
        assert fact in text
    for fact in ("林海", "赵敏", "局执法音像记录管理室", "作为证据使用", "李明、王芳"):
        assert fact in text
    assert "2026年11月21日15:04" in text
    assert "执法记录仪3501001" in text and "张伟（350211）" in text
    assert "2026-11-2009:30:00" in text and "1:02:05" in text
    assert "制作人签名" in text and "提取人签名" in text and "日期" in text


def test_the_disc_label_names_unit_maker_time_case_copy_and_number(info):
    text = pdf_text(label_pdf(info, 1, 2))
    for fact in ("桐柏县市场监督管理局", "城区市场监管所", "林海", "2026-11-2115:04"):
        assert fact in text
    for fact in ("张三食品店销售过期食品案", "桐市监罚〔2026〕12号", "ZJ-2026-0007"):
        assert fact in text
    assert "第1份/共2份" in text and "存放位置" in text
    second = pdf_text(label_pdf(info, 2, 2, location="档案室 3 号柜"))
    assert "第2份/共2份" in second and "档案室3号柜" in second
    with pytest.raises(ValueError, match="份数有误"):
        label_pdf(info, 3, 2)


def test_an_activity_without_a_case_is_labelled_by_the_activity(info):
    activity = PackageInfo(
        **{**info.__dict__, "case_number": "", "case_title": "", "activity": "节前食品专项检查"}
    )
    assert "节前食品专项检查" in pdf_text(label_pdf(activity, 1, 2))
    assert "节前食品专项检查" in pdf_text(statement_pdf(activity, []))


# ---- the disc image -----------------------------------------------------------------------


def bag_hashes(dest: Path) -> dict[str, str]:
    return {
        path.relative_to(dest).as_posix(): sha256_of(path)
        for path in sorted(dest.rglob("*"))
        if path.is_file()
    }


def test_the_disc_image_reads_back_identical_in_every_tree(tmp_path, originals, info):
    dest = bags.build_bag(tmp_path / "bag", originals, info, b"%PDF statement")
    progress = []
    iso = images.build_iso(
        dest, tmp_path / "ZJ-2026-0007.iso", info.number, lambda d, t: progress.append((d, t))
    )
    expected = bag_hashes(dest)
    assert set(expected) >= {"bagit.txt", "bag-info.txt", "manifest-sha256.txt"}
    assert images.read_back(iso) == expected  # UDF
    assert images.read_back(iso, tree="rr") == expected
    joliet = images.read_back(iso, tree="joliet")
    assert joliet == expected  # every name here is short enough to keep
    plain = images.read_back(iso, tree="iso9660")
    assert sorted(plain.values()) == sorted(expected.values())
    assert all(re.fullmatch(r"(D\d{4}/)?F\d{4}\.[A-Z0-9]*;1", p) for p in plain), plain
    assert progress and progress[-1][0] == progress[-1][1] == iso.stat().st_size
    assert leftovers(tmp_path) == []


def test_the_disc_image_is_itself_a_valid_bag_once_extracted(tmp_path, originals, info):
    dest = bags.build_bag(tmp_path / "bag", originals, info, None)
    iso = images.build_iso(dest, tmp_path / "disc.iso", info.number)
    out = tmp_path / "extracted"
    image = pycdlib.PyCdlib()
    image.open(str(iso))
    try:
        for dirpath, _dirs, files in image.walk(udf_path="/"):
            (out / dirpath.lstrip("/")).mkdir(parents=True, exist_ok=True)
            for name in files:
                with open(out / dirpath.lstrip("/") / name, "wb") as fh:
                    image.get_file_from_iso_fp(fh, udf_path=f"{dirpath.rstrip('/')}/{name}")
    finally:
        image.close()
    assert bags.verify_bag(out) == []


def test_long_chinese_names_get_short_unique_joliet_names_and_keep_full_ones(
    tmp_path, originals, info
):
    stem = "执法记录_城区市场监管所_张三食品店销售过期食品案_现场检查_" + "询问笔录" * 10
    first = f"{stem[:60]}甲方现场检查视频_第一段.mp4"
    second = f"{stem[:60]}乙方现场检查视频_第二段.mp4"
    assert len(first) > 64 and len(second) > 64 and first[:60] == second[:60]
    items = [
        Item(first, originals[0].size, originals[0].sha256, originals[0].open),
        Item(second, originals[1].size, originals[1].sha256, originals[1].open),
        originals[2],
    ]
    dest = bags.build_bag(tmp_path / "bag", items, info, None)
    iso = images.build_iso(dest, tmp_path / "disc.iso", info.number)
    names = [n for n in images.joliet_names(iso) if n.startswith("data/")]
    leaves = [n.removeprefix("data/") for n in names]
    assert len(leaves) == 3 and len(set(leaves)) == 3
    assert all(len(leaf.encode("utf-16-le")) // 2 <= 64 for leaf in leaves)
    assert sum(leaf.startswith(first[:58]) and leaf.endswith(".mp4") for leaf in leaves) == 2
    assert "询问录音_李四.wav" in leaves
    for tree in ("udf", "rr"):
        hashes = images.read_back(iso, tree=tree)
        assert hashes[f"data/{first}"] == originals[0].sha256
        assert hashes[f"data/{second}"] == originals[1].sha256
    joliet = images.read_back(iso, tree="joliet")
    assert sorted(joliet.values()) == sorted(bag_hashes(dest).values())


def test_joliet_names_are_cut_before_the_extension_and_told_apart():
    long_a = "甲" * 70 + ".mp4"
    long_b = "甲" * 70 + ".MP4"
    short = "甲" * 60 + ".mp4"
    mapped = images.joliet_name_map(["a.txt", "A.TXT", long_a, long_b, short, "x:y?.txt"])
    assert mapped["a.txt"] == "a.txt"
    assert mapped["A.TXT"] == "A~1.TXT"
    assert mapped[short] == short
    assert mapped[long_a] == "甲" * 58 + "~1.mp4"  # "甲"*60 + ".mp4" is the short name
    assert mapped[long_b] == "甲" * 58 + "~2.MP4"
    assert mapped["x:y?.txt"] == "x_y_.txt"
    assert all(len(name) <= 64 for name in mapped.values())


def test_an_existing_image_is_refused_and_a_failed_write_leaves_nothing(
    tmp_path, originals, info, monkeypatch
):
    dest = bags.build_bag(tmp_path / "bag", originals, info, None)
    (tmp_path / "taken.iso").write_bytes(b"")
    with pytest.raises(FileExistsError, match="已存在"):
        images.build_iso(dest, tmp_path / "taken.iso", info.number)

    def stop(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(images._Image, "write_fp", stop)
    with pytest.raises(OSError, match="disk full"):
        images.build_iso(dest, tmp_path / "disc.iso", info.number)
    assert not (tmp_path / "disc.iso").exists()
    assert leftovers(tmp_path) == []
