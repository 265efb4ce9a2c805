"""`{% picker kind name %}`: a search-as-you-type picker in a form (issue 17 §6).

`{% load pickers %}{% picker "recordings" "recording" multi=True chosen=recordings %}` renders
a search box that asks `/pick/<kind>/?q=` as the person types and puts each choice as a chip
holding a hidden input `name` with its id, so the form posts the same field names it always
did. `options` (a small set) are offered as a plain select when JavaScript is off. Templates of
any app load it by name; the tag reads nothing of theirs but the objects they pass.
"""

from django import template

from avrecords.recordings import assignment, bulk
from avrecords.web import bulk_actions, pickers

register = template.Library()


@register.inclusion_tag("web/pickers/widget.html")
def picker(
    kind, name, *, multi=False, chosen=(), options=(), selected=None, placeholder="", label=""
):
    """`chosen`: objects already picked; `selected`: their ids among `options` (a form shown
    again with what was posted: a value or a list of them)."""
    options = list(options or ())
    chosen = list(chosen or ())
    if selected not in (None, ""):
        ids = {str(v) for v in (selected if isinstance(selected, list | tuple) else [selected])}
        chosen += [o for o in options if str(o.pk) in ids]
    return {
        "kind": kind,
        "name": name,
        "multi": multi,
        "chosen": pickers.choices_for(kind, chosen),
        "chosen_pks": {o.pk for o in chosen},
        "options": pickers.choices_for(kind, options),
        "placeholder": placeholder or "输入" + pickers.KINDS[kind].placeholder + "搜索",
        "label": label,
        "max_chars": pickers.QUERY_MAX_CHARS,
    }


@register.inclusion_tag("web/pickers/bulk_bar.html", takes_context=True)
def bulk_bar(context):
    """The recordings list's action bar: the actions the person's role may do (issue 17 §6)."""
    user = context["user"]
    return {
        "can_case": bulk_actions.can_add_to_case(user),
        "can_activity": bulk_actions.can_link_activity(user),
        "can_assign": assignment.can_assign(user),
        "max_items": bulk.BULK_MAX_ITEMS,
    }
