"""A profile's article references (`001§6(3)`) written out as a person cites them:
《执法音像记录设备的使用、管理和监督规则》第六条第（三）项. The words themselves are lib's
(`lib/citations.py`), so that every app's pages can show them; this module adds the profile."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from avrecords.lib import citations
from avrecords.lib.citations import article_text, chinese_number

if TYPE_CHECKING:
    from avrecords.policies.schema import Profile

__all__ = ["article_text", "chinese_number", "legal_basis"]


def legal_basis(profile: Profile, cite: str) -> str:
    """The citation of `cite` in the profile's own regulation, as a work record states it."""
    articles = article_text(cite)
    return f"《{profile.document}》{articles}" if articles else f"《{profile.document}》"


def _installed_document(number: str) -> str | None:
    """The document of a profile an administrator imported for regulation file `number`."""
    from avrecords.policies.models import PolicyProfile

    found = PolicyProfile.objects.filter(data__source_file=number).values_list("data", flat=True)
    return next((data.get("document") for data in found if data.get("document")), None)


@cache
def _builtin_documents() -> dict[str, str]:
    """The shipped profiles' regulations by file number, read from their YAML (no database)."""
    from avrecords.policies.services import builtin_sources, load_yaml

    documents = {}
    for text in builtin_sources().values():
        head = load_yaml(text)
        documents[str(head["source_file"])] = head["document"]
    return documents


def _builtin_document(number: str) -> str | None:
    return _builtin_documents().get(number)


def register_documents() -> None:
    """Tell lib which regulation each file number is (called from `ready()`): the shipped
    profiles first, then those an administrator imported. Both are read when a page first
    asks, not at start-up: every command paid 30 ms for the YAML and the profile services
    (issue 22 §1)."""
    citations.register_lookup(_builtin_document)
    citations.register_lookup(_installed_document)
