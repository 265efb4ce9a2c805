"""The side menu, defined once (issue 17 §1): groups of entries, each shown only to the roles
that may use it, with its count and the current place marked.

An entry names a URL, a predicate over the page's menu flags (`context.roles`, which has
already asked each app's `can_*` once for the request), an optional count key of those flags,
and the `nav` keys that views pass for their pages. The current entry is the visible one whose
URL is the longest prefix of the page's path; failing that, the first whose `nav` matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


def _always(flags: dict) -> bool:
    return True


def _flag(name: str) -> Callable[[dict], bool]:
    return lambda flags: bool(flags.get(name))


@dataclass(frozen=True)
class Entry:
    label: str
    url_names: tuple[str, ...]  # the first that reverses is used (a page not yet built)
    allowed: Callable[[dict], bool] = _always
    count: str | None = None  # a key of the menu flags holding a number (or a callable)
    nav: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    label: str  # "" for the entries above the groups
    key: str  # remembered open or closed in the browser (site.js)
    entries: tuple[Entry, ...]


MENU: tuple[Group, ...] = (
    Group(
        "",
        "top",
        (
            Entry("工作台", ("workbench",), nav=("workbench",)),
            Entry("待办", ("inbox:todo",), count="worklist_count", nav=("todo",)),
            Entry("站内消息", ("inbox:messages",), count="unread_count", nav=("messages",)),
        ),
    ),
    Group(
        "音像记录",
        "recordings",
        (
            Entry("记录列表", ("recordings:list",), nav=("recordings",)),
            Entry("上传", ("recordings:upload",), _flag("can_upload"), nav=("upload",)),
            Entry("导入批次", ("recordings:batches",), _flag("can_ingest"), nav=("batches",)),
            Entry("隔离文件", ("recordings:quarantine",), _flag("can_ingest"), nav=("quarantine",)),
        ),
    ),
    Group(
        "执法办案",
        "cases",
        (
            Entry("执法活动", ("compliance:activities",), nav=("activities",)),
            Entry("案卷", ("cases:list",), nav=("cases",)),
            Entry("合规问题", ("compliance:findings",), nav=("findings",)),
        ),
    ),
    Group(
        "查阅复制",
        "access",
        (
            Entry("申请", ("access:list",), count="access_todo", nav=("access",)),
            Entry("登记簿", ("registers:index",), _flag("can_view_registers"), nav=("registers",)),
        ),
    ),
    Group(
        "设备",
        "equipment",
        (
            Entry(
                "设备台账", ("equipment:index",), _flag("can_view_equipment"), nav=("equipment",)
            ),
            Entry("我的设备", ("equipment:my_devices",), nav=("equipment",)),
            Entry("使用前检查", ("equipment:checks",)),
        ),
    ),
    Group(
        "保存与档案",
        "retention",
        (
            Entry(
                "保存期限",
                ("retention:index",),
                _flag("can_read_retention"),
                count="retention_todo",
                nav=("retention",),
            ),
            Entry("完整性校验", ("fixity:index",), _flag("can_view_fixity"), nav=("fixity",)),
        ),
    ),
    Group(
        "执法监督",
        "supervision",
        (
            Entry(
                "监督概况",
                ("supervision:dashboard",),
                _flag("can_view_supervision"),
                nav=("supervision",),
            ),
            Entry("在线监督", ("supervision:review_list",), _flag("can_view_supervision")),
            Entry(
                "抽查与评查",
                ("supervision:campaigns",),
                _flag("can_view_supervision"),
                count="supervision_todo",
            ),
            Entry("违规登记", ("supervision:violations",), _flag("can_view_supervision")),
            Entry("处理决定", ("supervision:decisions",), _flag("can_view_supervision")),
        ),
    ),
    Group(
        "系统管理",
        "system",
        (
            Entry("执法策略", ("policies:index",), _flag("can_read_policies"), nav=("policies",)),
            Entry("登录锁定", ("accounts:lockouts",), _flag("can_unlock_logins")),
            Entry("审计锚定", ("audit:anchors",), _flag("can_view_audit_anchors"), nav=("audit",)),
            Entry("初始设置", ("agency:setup",), _flag("can_set_up"), nav=("setup",)),
            Entry("单位", ("agency:units",), _flag("can_manage_units"), nav=("units",)),
            # collection stations (issue 19 §1): administrators see those of their scope
            Entry("采集站", ("stations:list",), _flag("can_view_stations"), nav=("stations",)),
            # the notice check's references (U5): system administrators, as the profiles
            Entry(
                "告知语参考录音",
                ("compliance:notice_references",),
                _flag("can_manage_policies"),
                nav=("notice_references",),
            ),
            Entry("人员", ("agency:people",), _flag("can_manage_people"), nav=("people",)),
            Entry("人员名册", ("agency:roster",), _flag("can_manage_people"), nav=("roster",)),
            Entry("角色与权限", ("agency:roles",), _flag("can_set_up"), nav=("roles",)),
            # one's own API tokens (issue 18 §5): every role but officers, who keep HTTP Basic
            Entry("接口令牌", ("accounts:api_tokens",), _flag("can_read_policies")),
            Entry("后台管理", ("admin:index",), _flag("is_staff")),
        ),
    ),
)


@dataclass
class Item:
    """One entry as a page shows it."""

    label: str
    url: str
    count_key: str | None = None  # the entry's count: a key of the menu flags
    active: bool = False
    count: int = 0  # filled in only on a page that counts in place (the workbench)

    @property
    def slot(self) -> str:
        """The id of the place of its count on the page ("" for none)."""
        return _slot(self.count_key) if self.count_key else ""


@dataclass
class Shown:
    """One group as a page shows it: its visible entries; open when it holds the current one."""

    label: str
    key: str
    items: list[Item] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(i.active for i in self.items)

    @property
    def count(self) -> int:
        return sum(i.count for i in self.items)

    @property
    def slot(self) -> str:
        """The id of the place of the sum of its entries' counts, beside its heading (the
        entries above the groups have none)."""
        return f"count-group-{self.key}" if self.label and any(i.slot for i in self.items) else ""


def _reverse(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _number(value) -> int:
    value = value() if callable(value) else value
    return int(value or 0)


def _slot(count_key: str) -> str:
    return "count-" + count_key.replace("_", "-")


# The top bar's two counts (phones, where the menu is a drawer): slot → key of the menu flags.
TOP_COUNTS = {"count-top-todo": "worklist_count", "count-top-messages": "unread_count"}


def build(flags: dict, path: str, nav: str | None) -> list[Shown]:
    """The menu for one page: only what the flags allow, the current entry marked."""
    shown: list[Shown] = []
    pairs: list[tuple[Entry, Item]] = []
    for group in MENU:
        out = Shown(group.label, group.key)
        for entry in group.entries:
            url = _reverse(entry.url_names) if entry.allowed(flags) else None
            if url is None:
                continue
            item = Item(entry.label, url, entry.count)
            out.items.append(item)
            pairs.append((entry, item))
        if out.items:
            shown.append(out)
    current = _current(pairs, path, nav)
    if current is not None:
        current.active = True
    return shown


def numbers(flags: dict, groups: list[Shown]) -> dict[str, int]:
    """Each count's place on the page → its number: the top bar's, each shown entry's, and
    each group's (the sum of its entries'). Counting happens here, not in `build`: a page
    shows the places and asks `/menu/counts` for these after it has loaded (issue 22)."""
    out = {slot: _number(flags.get(key)) for slot, key in TOP_COUNTS.items()}
    for group in groups:
        for item in group.items:
            if item.slot:
                out[item.slot] = _number(flags.get(item.count_key))
        if group.slot:
            out[group.slot] = sum(out[i.slot] for i in group.items if i.slot)
    return out


def fill(groups: list[Shown], counted: dict[str, int]) -> None:
    """Writes `numbers` into the entries, for a page that shows its counts in place."""
    for group in groups:
        for item in group.items:
            item.count = counted.get(item.slot, 0)


def _current(pairs: list[tuple[Entry, Item]], path: str, nav: str | None) -> Item | None:
    prefixed = [
        item
        for _, item in pairs
        if (item.url == path) or (item.url != "/" and path.startswith(item.url))
    ]
    if prefixed:
        return max(prefixed, key=lambda item: len(item.url))
    if nav:
        return next((item for entry, item in pairs if nav in entry.nav), None)
    return None


def current_label(groups: list[Shown]) -> str:
    """The current entry's label (the phone's top bar names the place)."""
    return next((i.label for g in groups for i in g.items if i.active), "")
