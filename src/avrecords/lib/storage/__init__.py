"""Store of originals: get_store() returns the configured backend (local for now)."""

from functools import lru_cache

from django.conf import settings

from avrecords.lib.storage.base import OriginalStore


@lru_cache(maxsize=1)
def get_store() -> OriginalStore:
    from avrecords.lib.storage.local import LocalStore

    return LocalStore(
        settings.AVRECORDS_STORE_PATH, chunk_bytes=settings.AVRECORDS_COPY_CHUNK_BYTES
    )
