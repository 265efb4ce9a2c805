"""Store of originals: get_store() returns the backend chosen by AVRECORDS_STORE (M2)."""

from functools import lru_cache

from django.conf import settings

from avrecords.lib.storage.base import OriginalStore


@lru_cache(maxsize=1)
def get_store() -> OriginalStore:
    if settings.AVRECORDS_STORE == "s3":
        from avrecords.lib.storage.s3 import S3Store

        return S3Store.from_settings(settings)
    from avrecords.lib.storage.local import LocalStore

    return LocalStore(
        settings.AVRECORDS_STORE_PATH, chunk_bytes=settings.AVRECORDS_COPY_CHUNK_BYTES
    )
