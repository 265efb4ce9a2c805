"""Template filters that put codes and quantities into Chinese (issue 17 §7); any app's
template may `{% load zh %}` (this library sits in `org`, the lowest app, and imports only lib).

    {{ e.action|label:"action" }}   recording.view → 查看音像记录 (kinds: lib/labels.py)
    {{ r.size_bytes|size }}         1.2 MB
    {{ late|duration }}             2 天 3 小时      {{ late|overdue }}   逾期 25 分钟
    {{ r.duration_s|clock }}        00:10:00
    {{ c.worker|worker }}           后台处理进程（host）
    {{ f.cite|cite }}               <span class="cite" title="《…》第二十一条">第二十一条</span>
    {{ f.summary|cites_in }}        …；第十八条，…  (every reference inside, as such spans)
"""

from django import template

from avrecords.lib import citations, labels, quantities

register = template.Library()


@register.filter
def label(code, kind):
    return labels.get(kind, code)


register.filter("worker", labels.worker)
register.filter("size", quantities.size)
register.filter("duration", quantities.duration)
register.filter("overdue", quantities.overdue)
register.filter("clock", quantities.clock)


@register.filter
def label_each(codes, kind):
    """Each code of a list by its label: `{{ item.steps|label_each:"role"|join:" → " }}`."""
    return [labels.get(kind, code) for code in codes or ()]


@register.filter
def cite(code, named=""):
    """An article reference as people cite it; `|cite:"named"` writes the regulation's name."""
    return citations.cite_html(code, named=bool(named))


register.filter("cites_in", citations.cites_in_html)
