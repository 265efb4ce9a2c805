"""`{% no_one_yet as flag %}`: whether the installation has nobody yet, for the sign-in page
to point at the first administrator's page (issue 18 §4)."""

from django import template

from avrecords.agency import first_admin

register = template.Library()


@register.simple_tag
def no_one_yet() -> bool:
    return not first_admin.anyone_exists()
