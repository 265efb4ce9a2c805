"""WSGI entry point (used by `avrecords serve` and by any WSGI server in production)."""

import os

from django.core.wsgi import get_wsgi_application

from avrecords.lib.private_files import make_private

make_private()  # files 0600, directories 0700, as in every `avrecords` command
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avrecords.settings")
application = get_wsgi_application()
