"""`{% assign_box r %}`: the 指派 box on a recording's page, for administrators (issue 15)."""

from django import template

from avrecords.recordings.views_assign import box

register = template.Library()


@register.inclusion_tag("recordings/_assign_box.html", takes_context=True)
def assign_box(context, recording):
    return {
        "r": recording,
        "csrf_token": context.get("csrf_token"),
        **box(context["user"], recording),
    }
