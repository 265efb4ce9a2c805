"""The Chinese words of org's codes (issue 17 §7): roles as profiles and approval chains name
them (`unit_head`), from the one list of roles."""

from avrecords.lib import labels
from avrecords.org.models import Role

labels.register(labels.ROLE, dict(Role.choices))
