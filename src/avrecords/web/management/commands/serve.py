"""`avrecords serve`: the web server (waitress, threaded; streams large files without buffering)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, **options):
        from avrecords.web.body_limits import make_server
        from avrecords.wsgi import application

        self.stdout.write(f"网页服务：http://{options['host']}:{options['port']}/")
        # Bodies: the upload limit on the upload path only, AVRECORDS_REQUEST_MAX_BYTES on
        # every other path, refused before they are read (web/body_limits.py).
        server = make_server(
            application,
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            ident="AVRecords",
            channel_timeout=300,
            **proxy_adjustments(),
        )
        server.run()


def proxy_adjustments() -> dict:
    """Behind a reverse proxy (AVRECORDS_TRUSTED_PROXY), the client's address and scheme come
    from its X-Forwarded-For / X-Forwarded-Proto: login throttling counts per client address,
    the audit log records it, and HTTPS is recognised (HSTS, Secure cookies). Those headers
    from anyone else are dropped."""
    from django.conf import settings

    if not settings.AVRECORDS_TRUSTED_PROXY:
        return {}
    return {
        "trusted_proxy": settings.AVRECORDS_TRUSTED_PROXY,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        "clear_untrusted_proxy_headers": True,
    }
