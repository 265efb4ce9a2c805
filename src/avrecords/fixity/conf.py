"""Fixity settings (M2), parsed strictly from the environment when the app loads.

Kept here rather than in settings.py so the fixity sweep owns its knobs; a bad value still
stops every `avrecords` command at start-up (the app is loaded by django.setup()).
Documented in docs/configuration.md ("Fixity sweeps").
"""

from avrecords.config import env_int

MB = 1_000_000

# Re-reading speed limit of a sweep, MB/s (10^6 bytes); 0 = unlimited.
RATE_MB_S = env_int("AVRECORDS_FIXITY_RATE_MB_S", 50)
# How often the worker enqueues a scheduled sweep (once per interval across all hosts).
INTERVAL_SECONDS = env_int("AVRECORDS_FIXITY_INTERVAL_SECONDS", 86400, minimum=60)
# Most bytes one scheduled sweep re-reads; 0 = no byte budget (time budget only).
BATCH_BYTES = env_int("AVRECORDS_FIXITY_BATCH_BYTES", 2 * 1024**4)
# Coverage window shown on the page and by `fixity report` unless --days is given.
COVERAGE_DAYS = env_int("AVRECORDS_FIXITY_COVERAGE_DAYS", 30, minimum=1)
# A scheduled sweep stops after this share of the interval, so sweeps never pile up.
SWEEP_TIME_SHARE = 0.9
