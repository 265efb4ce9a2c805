"""`avrecords createadmin`: the first system administrator, on the server (issue 18 §4).

Interactive (prompts in Chinese, the password typed twice, unseen), or for scripts:
`--username U --full-name 姓名 --password-file F` (or `--password-file -`: the first line of
standard input). Refused, exit status 1 and one line saying what to do, when an active
system administrator exists."""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from avrecords.agency import first_admin
from avrecords.lib.refusals import Refusal

FIELD_WORDS = {
    "username": "用户名",
    "full_name": "姓名",
    "password": "密码",
    "password_again": "确认密码",
}


class Command(BaseCommand):
    help = "创建第一个系统管理员（已有系统管理员时拒绝）"

    def add_arguments(self, parser):
        parser.add_argument("--username", help="用户名")
        parser.add_argument("--full-name", dest="full_name", help="姓名")
        parser.add_argument(
            "--password-file",
            dest="password_file",
            help="从文件读取密码（第一行）；“-” 表示从标准输入读取",
        )

    def handle(self, *args, **options):
        if (admin := first_admin.existing_admin()) is not None:
            raise CommandError(
                f"已有系统管理员（{admin.display_name}，用户名 {admin.username}），不再创建；"
                "请以系统管理员身份登录，在“人员”页面添加人员或重置密码"
            )
        scripted = options["password_file"] is not None
        if scripted:
            username, full_name = options["username"] or "", options["full_name"] or ""
            password, again = self._password_from(options["password_file"]), None
        elif sys.stdin.isatty():
            username = options["username"] or input("用户名：")
            full_name = options["full_name"] or input("姓名：")
            password = getpass.getpass("密码：")
            again = getpass.getpass("再次输入密码：")
        else:
            raise CommandError(
                "没有终端可供输入：请用 --username、--full-name 和 --password-file 给出"
            )
        try:
            user = first_admin.create(
                username=username,
                full_name=full_name,
                password=password,
                password_again=again,
                via="command",
            )
        except Refusal as exc:
            reasons = [f"{FIELD_WORDS.get(k, k)}：{v}" for k, v in exc.fields.items()]
            raise CommandError("未创建：" + ("；".join(reasons) or exc.message)) from exc
        self.stdout.write(
            f"已创建系统管理员 {user.full_name}（用户名 {user.username}）。"
            "请在浏览器中登录，按“初始设置”页完成机构设置。"
        )

    def _password_from(self, name: str) -> str:
        try:
            if name == "-":
                return sys.stdin.readline().rstrip("\r\n")
            with open(name, encoding="utf-8") as fh:
                return fh.readline().rstrip("\r\n")
        except OSError as exc:
            raise CommandError(f"无法读取密码文件 {name}：{exc.strerror}") from exc
