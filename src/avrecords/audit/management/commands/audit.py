"""`avrecords audit verify [--anchors DIR [--public-key FILE]…]` and `avrecords audit anchor` (X1).

verify checks the whole hash chain; with --anchors it also proves, against the signed anchor
files in DIR, that no entry before the last anchor was changed (exit 1 on any mismatch).
The anchors' signatures are checked with the installation's public key, or only with the
keys given by --public-key (e.g. the one printed or burned to disc when the anchors were).
anchor signs the chain's head now and writes the anchor file.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from avrecords.audit import anchors
from avrecords.audit.anchor_check import verify_anchors, when
from avrecords.audit.services import verify_chain
from avrecords.lib import signing


class Command(BaseCommand):
    help = "审计日志：verify 校验整条哈希链（--anchors 目录：对照锚定文件），anchor 立即锚定"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor"])
        parser.add_argument("--anchors", metavar="目录", help="锚定文件所在目录")
        parser.add_argument(
            "--public-key",
            metavar="文件",
            action="append",
            default=[],
            help="核验签名所用的公钥文件（可重复；默认为本系统的公钥）",
        )

    def handle(self, *args, **options):
        if options["action"] == "anchor":
            return self.anchor()
        if options["anchors"]:
            return self.verify_with_anchors(Path(options["anchors"]), options["public_key"])
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"审计链校验失败：第 {result.first_bad_seq} 条记录异常（{result.problem}）；"
                f"此前 {result.checked} 条完好"
            )
        self.stdout.write(f"审计链完好：共校验 {result.checked} 条记录")

    def anchor(self):
        try:
            anchor = anchors.make_anchor("手动锚定")
        except anchors.AnchorRefused as exc:
            raise CommandError(str(exc)) from exc
        path = Path(settings.AVRECORDS_AUDIT_ANCHOR_DIR) / anchor.name
        self.stdout.write(
            f"已锚定至第 {anchor.seq} 条：{path}\n"
            f"  哈希 {anchor.head_hash}\n"
            f"  公钥指纹 {signing.grouped(anchor.fingerprint)}"
        )

    def verify_with_anchors(self, directory: Path, key_files: list[str]):
        if not directory.is_dir():
            raise CommandError(f"锚定目录 {directory} 不存在")
        keys = []
        for name in key_files:
            try:
                keys.append(signing.public_key_from_pem(Path(name).read_text(encoding="ascii")))
            except (OSError, UnicodeDecodeError, signing.KeyProblem) as exc:
                raise CommandError(f"公钥文件 {name} 无法读取") from exc
        if not keys:
            key = anchors.installation_public_key()
            if key is None:
                raise CommandError("本系统尚无签名公钥；请用 --public-key 指定核验所用的公钥")
            keys.append(key)
        result = verify_anchors(directory, keys)
        fingerprints = "、".join(signing.grouped(k.fingerprint) for k in keys)
        if not result.ok:
            raise CommandError(
                "审计日志与锚定不符：\n  "
                + "\n  ".join(result.problems)
                + f"\n（核验所用公钥指纹：{fingerprints}）"
            )
        last = result.last_good
        self.stdout.write(
            f"审计链完好：共校验 {result.entries} 条记录；{result.matched} 个锚定文件签名有效、"
            f"与数据库一致。最近一次锚定为 {when(last)} 的第 {last.seq} 条：此前的记录自锚定以来"
            f"未被改动。\n核验所用公钥指纹：{fingerprints}"
        )
