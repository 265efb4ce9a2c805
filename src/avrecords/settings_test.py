"""Settings for the test suite: everything in a fresh temporary AVRECORDS_HOME.

With DATABASE_URL=postgresql://… (the second pass of `make test`, issue 3 §1) the test
database gets a name of its own per run, so concurrent runs on one server never collide, and
is created UTF-8 from template0, whose character type (the server's, e.g. C.UTF-8) lets
pg_trgm cut Chinese into trigrams; tests/test_postgresql.py checks both.
"""

import os
import tempfile
import uuid

os.environ.setdefault("AVRECORDS_HOME", tempfile.mkdtemp(prefix="avrecords-test-"))

from avrecords.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# `force_login` makes a session without a second factor: nobody must have one unless a test
# says so (tests/test_two_factor.py overrides it; issue 18 §5).
AVRECORDS_TWO_FACTOR_ROLES: list[str] = []
# Every test Client builds its own middleware, and WhiteNoise's set-up listed and stat'ed every
# static file of every app each time (about 11 CPU-ms, most of a permission-matrix test; issue
# 22). Here it finds a file when it is asked for: the same files, with the same headers.
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so worker and heartbeat threads see the same database as the test.
    DATABASES["default"]["TEST"] = {"NAME": str(AVRECORDS_HOME / "test.sqlite3")}  # noqa: F405
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    _suffix = os.environ.get("AVRECORDS_TEST_DB_SUFFIX") or uuid.uuid4().hex[:8]
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_avrecords_{_suffix}",
        "CHARSET": "UTF8",
        "TEMPLATE": "template0",
    }
