"""`avrecords demo`: load the demo agency (idempotent) and print the logins."""

from django.core.management.base import BaseCommand

from avrecords.demo.loader import DEMO_PASSWORD, load_demo, logins


class Command(BaseCommand):
    help = "载入演示单位、人员、设备与录像"

    def handle(self, *args, **options):
        created = load_demo()
        self.stdout.write("演示数据已载入" if created else "演示数据已存在，未作改动")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, name in logins():
            self.stdout.write(f"  {username:<10} {name}")
