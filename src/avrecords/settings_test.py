"""Settings for the test suite: everything in a fresh temporary AVRECORDS_HOME."""

import os
import tempfile

os.environ.setdefault("AVRECORDS_HOME", tempfile.mkdtemp(prefix="avrecords-test-"))

from avrecords.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so worker and heartbeat threads see the same database as the test.
    DATABASES["default"]["TEST"] = {"NAME": str(AVRECORDS_HOME / "test.sqlite3")}  # noqa: F405
