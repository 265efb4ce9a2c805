"""A profile's article references (`001§6(3)`) written out as a person cites them:
《执法音像记录设备的使用、管理和监督规则》第六条第（三）项. The words themselves are lib's
(`lib/citations.py`), so that every app's pages can show them; this module adds the profile."""

from __future__ import annotations

import yaml

from avrecords.lib import citations
from avrecords.lib.citations import article_text, chinese_number
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


def register_documents() -> None:
    """Tell lib which regulation each file number is (called from `ready()`): the shipped
    profiles at once, from their YAML (no database at start-up), the others when asked."""
    from avrecords.policies.services import YAML_LOADER, builtin_sources

    # libyaml's safe loader, as the profile import uses: PyYAML's own took 0.2 s of every
    # command's start-up here (issue 22 §1).
    for text in builtin_sources().values():
        head = yaml.load(text, Loader=YAML_LOADER)
        citations.register_document(str(head["source_file"]), head["document"])
    citations.register_lookup(_installed_document)
