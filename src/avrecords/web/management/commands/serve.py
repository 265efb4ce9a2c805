"""`avrecords serve`: the web server (waitress, threaded; streams large files without buffering)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, **options):
        from waitress import serve

        from avrecords.wsgi import application

        self.stdout.write(f"网页服务：http://{options['host']}:{options['port']}/")
        from django.conf import settings

        from avrecords.recordings.uploads import MULTIPART_OVERHEAD_BYTES

        # waitress caps request bodies at 1 GiB by default; our own limit must be the one that applies.
        body_limit = settings.AVRECORDS_UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
        serve(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="AVRecords",
            max_request_body_size=body_limit,
            channel_timeout=300,
        )
