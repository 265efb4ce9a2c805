"""`avrecords demo`: load the demo agency (idempotent) and print the logins."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from avrecords.agency import first_admin, setup
from avrecords.config import NOBODY, TWO_FACTOR_ROLES_FILE
from avrecords.demo.loader import DEMO_PASSWORD, load_demo, logins


def keep_demo_two_factor_choice(home: Path) -> Path:
    """A demo is one sign-in away: its own installation asks nobody for a second factor
    unless AVRECORDS_TWO_FACTOR_ROLES says otherwise, or the file already says something
    else (issue 18 §5; config.two_factor_roles)."""
    choice = home / TWO_FACTOR_ROLES_FILE
    if not choice.exists():
        choice.write_text(f"{NOBODY}\n", encoding="utf-8")
    return choice


def settle_first_run() -> bool:
    """The demo brings its own system administrator: the first-admin code `init` wrote is
    void, and its administrator lands on 工作台 as if he had put the set-up off (稍后再说); the
    checklist still says, under 系统管理 → 初始设置, what the demo agency lacks. True when there
    was a code to void (`init` printed it just before, as `make run` shows)."""
    had_code = first_admin.code_path().exists()
    first_admin.discard_code()
    admin = first_admin.existing_admin()
    if admin is not None:
        setup.defer(admin)
    return had_code


class Command(BaseCommand):
    help = "载入演示单位、人员、设备与录像"

    def handle(self, *args, **options):
        created = load_demo()
        if settle_first_run():
            self.stdout.write(
                "演示数据自带系统管理员（admin），上面的一次性设置码已作废，无需再设置"
            )
        self.stdout.write("演示数据已载入" if created else "演示数据已存在，未作改动")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, name in logins():
            self.stdout.write(f"  {username:<10} {name}")
        choice = keep_demo_two_factor_choice(settings.AVRECORDS_HOME)
        self.stdout.write(
            f"双因素登录：演示安装默认不要求（{choice}；"
            "启动时设置 AVRECORDS_TWO_FACTOR_ROLES=sysadmin,leader 可要求）"
        )
