"""People: add, edit, reset a password (issue 18 §1, §2; X2 scope, M9 clearances, S1 supervisors).

The one place a person's record changes outside the clearance workflow: the pages
(`views_people`), the API (`api_people`) and the roster import all call these functions, so a
page, an HR system and an Excel file meet the same checks and the same Chinese reasons.

- Who: `permissions.can_manage_people` (system administrators; a unit's 设备及音像资料管理员
  where his profile says `personnel.managed_by_unit_admins`), and then only people and units
  he sees (`User.objects.visible_to`, `Unit.objects.visible_to`); a unit administrator never
  gives the 系统管理员 role or a clearance he does not hold, nor touches a system administrator.
- What: every field is checked before anything is written, and all bad fields are refused
  together in one `Invalid(fields=…)`; a change that would leave no active system
  administrator, or move someone who still holds devices, recordings or open findings (that
  is a transfer, 调动, with its hand-over: `compliance.clearance`), is a `Conflict`.
- Trace: one audit entry per change with the changed fields before and after (X1); a change
  that changes nothing writes nothing, so re-importing an export is silent.
"""

from __future__ import annotations

import secrets
import string

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hashers, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from avrecords.agency import badges
from avrecords.agency.permissions import can_manage_people, manages_everyone
from avrecords.audit import services as audit
from avrecords.compliance.clearance import findings_of, recordings_of
from avrecords.equipment.custody import outstanding_for
from avrecords.lib.filters import Params
from avrecords.lib.refusals import Conflict, Forbidden, Invalid, NotFound
from avrecords.org.models import Role, Secrecy, Unit, User
from avrecords.org.scope import MARKS, subtree_unit_ids
from avrecords.org.usernames import UsernameValidator, skeleton

EDITABLE = (
    "username",
    "full_name",
    "badge_no",
    "officer_no",
    "unit",
    "role",
    "phone",
    "secrecy_clearances",
    "supervised_units",
)
LABELS = {
    "username": "用户名",
    "full_name": "姓名",
    "badge_no": "执法证号",
    "officer_no": "执法记录编号",
    "unit": "所属单位",
    "role": "角色",
    "phone": "联系电话",
    "secrecy_clearances": "涉密知悉范围",
    "supervised_units": "监督的单位",
}
NUMBERS = ("badge_no", "officer_no")
MOVE_REFUSED = "请通过调动办理交接"
LAST_SYSADMIN = "不能取消最后一名系统管理员的角色"
NOT_ALLOWED = "您无权管理人员"
OWN_PASSWORD = "不能重置本人的密码，请在“修改密码”页面修改"

# Temporary passwords: no 0/O, 1/l/I to misread when it is read out or copied from a screen.
PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
PASSWORD_LENGTH = 14
GENERATED_HASH_ITERATIONS = 20_000  # PBKDF2 rounds for a generated password (`_set_password`)


# --- tidying (pure) --------------------------------------------------------------------------


def normalise(fields: dict) -> dict:
    """The given fields tidied as they are kept: stripped, full-width digits and letters as
    half-width, 执法证号/执法记录编号 upper case and '' → None, clearances without repeats.
    Fields not given stay absent; values of other types (a Unit, a list of Units) unchanged.
    Pure; no database."""
    out = dict(fields)
    for name, value in fields.items():
        if name in NUMBERS:
            out[name] = badges.number(value)
        elif name in ("username", "phone", "role"):
            out[name] = badges.half_width(value or "").strip()
        elif name == "full_name":
            out[name] = badges.half_width(value or "").strip()
        elif name == "secrecy_clearances":
            marks = [badges.half_width(str(v)).strip() for v in (value or [])]
            out[name] = list(dict.fromkeys(m for m in marks if m))
    return out


def _marks_in_order(marks) -> list[str]:
    return [m for m in MARKS if m in set(marks)]


# --- who may -------------------------------------------------------------------------------


def _require_manager(actor) -> None:
    if not can_manage_people(actor):
        raise Forbidden(NOT_ALLOWED)


def _require_reach(actor, person: User) -> None:
    """The person lies in the actor's scope (else 404, as if missing, X2); a unit
    administrator does not manage system administrators (their accounts guard everything)."""
    if not User.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise NotFound()
    if not manages_everyone(actor) and (person.role == Role.SYSADMIN or person.is_superuser):
        raise Forbidden("您无权管理系统管理员的账号")


def managed_person(actor, pk) -> User:
    """The person `pk` if the actor may manage him: Forbidden without the permission,
    NotFound out of his scope (as if missing), Forbidden for a unit administrator facing a
    system administrator's account."""
    _require_manager(actor)
    person = User.objects.get_visible(actor, pk)
    _require_reach(actor, person)
    return person


# --- checks --------------------------------------------------------------------------------


def _username_problem(value: str, person: User | None) -> str:
    if not value:
        return "请填写用户名"
    if len(value) > 150:
        return "用户名最多 150 个字符"
    others = User.objects.exclude(pk=person.pk) if person is not None else User.objects.all()
    if others.filter(username=value).exists():
        return f"用户名“{value}”已被使用"
    try:
        UsernameValidator()(value)
    except ValidationError as exc:
        if exc.code != "confusable":
            return exc.messages[0]
        # The validator compares with every name, the person's own old one included.
        wanted = skeleton(value)
        for existing in others.values_list("username", flat=True):
            if skeleton(existing) == wanted:
                return f"用户名与已有用户名“{existing}”形近，容易混淆，请另选一个"
    return ""


def _number_problem(name: str, value: str | None, person: User | None) -> str:
    if value is None:
        return ""
    label = LABELS[name]
    if problem := badges.number_problem(label, value):
        return problem
    others = User.objects.exclude(pk=person.pk) if person is not None else User.objects.all()
    holder = others.filter(**{f"{name}__iexact": value}).select_related("unit").first()
    if holder is not None:
        where = holder.unit.name if holder.unit_id else "无所属单位"
        return f"{label} {value} 已属于 {holder.display_name}（{where}）"
    return ""


def _unit_problem(actor, unit) -> str:
    if unit is None:
        return "请选择所属单位"
    if not isinstance(unit, Unit) or not Unit.objects.visible_to(actor).filter(pk=unit.pk).exists():
        return "所选单位不存在或不在您的管理范围内"
    if unit.retired_at is not None:
        return f"{unit.name}已撤销"
    return ""


def _role_problem(actor, role: str) -> str:
    if not role:
        return "请选择角色"
    if role not in Role.values:
        return "角色无效，请从列表中选择"
    if role == Role.SYSADMIN and not manages_everyone(actor):
        return "您无权授予系统管理员角色"
    return ""


def _clearance_problem(actor, marks: list[str], before: list[str]) -> str:
    if unknown := [m for m in marks if m not in MARKS]:
        allowed = "、".join(Secrecy(m).label for m in MARKS)
        return f"涉密知悉范围只能是{allowed}（“{unknown[0]}”无效）"
    if not manages_everyone(actor):
        held = set(actor.secrecy_clearances or [])
        if lacking := [m for m in marks if m not in before and m not in held]:
            return f"您本人没有“{Secrecy(lacking[0]).label}”的知悉权限，不能授予他人"
    return ""


def _supervised_problem(actor, units, role: str, before_ids: set[int]) -> str:
    if not units:
        return ""
    if role != Role.SUPERVISOR:
        return "只有监督人员可以指定监督的单位"
    visible = set(Unit.objects.visible_to(actor).values_list("pk", flat=True))
    for unit in units:
        if not isinstance(unit, Unit) or unit.pk not in visible:
            return "所选监督单位不存在或不在您的管理范围内"
        if unit.retired_at is not None and unit.pk not in before_ids:
            return f"{unit.name}已撤销"
    return ""


def _own_problem(actor, person: User | None, name: str) -> str:
    """One's own sign-in name is changed by another administrator (the audit trail names
    people by it, and a script signed in with it would lock itself out); a unit
    administrator does not change his own role."""
    if person is None or person.pk != actor.pk:
        return ""
    if name == "username":
        return "不能修改本人的用户名，请由其他系统管理员修改"
    if name == "role" and not manages_everyone(actor):
        return "不能修改本人的角色"
    return ""


def _problems(actor, person: User | None, changes: dict, effective_role: str) -> dict[str, str]:
    """Every bad field among `changes`, with its Chinese reason."""
    found: dict[str, str] = {}
    for name, value in changes.items():
        if problem := _own_problem(actor, person, name):
            found[name] = problem
            continue
        if name == "username":
            problem = _username_problem(value, person)
        elif name == "full_name":
            problem = (
                "请填写姓名" if not value else ("姓名最多 50 个字符" if len(value) > 50 else "")
            )
        elif name in NUMBERS:
            problem = _number_problem(name, value, person)
        elif name == "unit":
            problem = _unit_problem(actor, value)
        elif name == "role":
            problem = _role_problem(actor, value)
        elif name == "phone":
            problem = badges.phone_problem(value)
        elif name == "secrecy_clearances":
            before = list(person.secrecy_clearances or []) if person is not None else []
            problem = _clearance_problem(actor, value, before)
        else:  # supervised_units
            before_ids = set(_current(person, name)) if person is not None else set()
            problem = _supervised_problem(actor, value, effective_role, before_ids)
        if problem:
            found[name] = problem
    return found


# --- values: current, changed, shown in the audit -----------------------------------------


def _current(person: User, name: str):
    if name == "unit":
        return person.unit_id
    if name == "supervised_units":
        return sorted(person.supervised_units.values_list("pk", flat=True)) if person.pk else []
    if name == "secrecy_clearances":
        return sorted(person.secrecy_clearances or [])
    return getattr(person, name)


def _comparable(name: str, value):
    if name == "unit":
        return value.pk if isinstance(value, Unit) else value
    if name == "supervised_units":
        return sorted(u.pk if isinstance(u, Unit) else u for u in value or [])
    if name == "secrecy_clearances":
        return sorted(value or [])
    return value


def _changes(person: User, fields: dict) -> dict:
    return {k: v for k, v in fields.items() if _comparable(k, v) != _current(person, k)}


def _unit_shown(unit) -> dict | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def _shown(person: User, name: str):
    """A field's value as the audit entry keeps it (ids with names, codes as kept)."""
    if name == "unit":
        return _unit_shown(person.unit)
    if name == "supervised_units":
        return [_unit_shown(u) for u in person.supervised_units.order_by("path")]
    if name == "secrecy_clearances":
        return _marks_in_order(person.secrecy_clearances or [])
    return getattr(person, name)


# --- conflicts (the state of the agency, not the form) -------------------------------------


def _would_leave_no_sysadmin(person: User, changes: dict) -> bool:
    if "role" not in changes or changes["role"] == Role.SYSADMIN:
        return False
    if person.role != Role.SYSADMIN or not person.is_active:
        return False
    others = User.objects.select_for_update().filter(role=Role.SYSADMIN, is_active=True)
    return not others.exclude(pk=person.pk).exists()


def holds_anything(person: User) -> bool:
    """Devices or accessories out, recordings he answers for, findings still open: what a
    transfer (调动) hands over before he may change unit (E5)."""
    return bool(
        outstanding_for(person) or recordings_of(person).exists() or findings_of(person).exists()
    )


def _check_conflicts(person: User, changes: dict) -> None:
    if _would_leave_no_sysadmin(person, changes):
        raise Conflict(LAST_SYSADMIN)
    if "unit" in changes and person.unit_id is not None and holds_anything(person):
        raise Conflict(
            f"{person.display_name} 名下还有设备、音像记录或未办结的问题，不能直接更换单位，"
            f"{MOVE_REFUSED}"
        )


# --- writing -------------------------------------------------------------------------------


def _apply(person: User, changes: dict) -> list[str]:
    """Set the changed plain fields on `person`; the names to save (supervised units apart)."""
    names = []
    for name, value in changes.items():
        if name == "supervised_units":
            continue
        if name == "secrecy_clearances":
            value = _marks_in_order(value)
        setattr(person, name, value)
        names.append(name)
    return names


def _save(person: User, names: list[str] | None, changes: dict, fields_checked: dict) -> None:
    """Save; a unique number or name taken meanwhile by someone else is an `Invalid`, never an
    IntegrityError."""
    try:
        with transaction.atomic():
            person.save(update_fields=names) if names is not None else person.save()
    except IntegrityError:
        raced = {
            name: problem
            for name in ("username", *NUMBERS)
            if name in fields_checked
            and (problem := _race_problem(name, fields_checked[name], person))
        }
        raise Invalid(fields=raced or {"username": "保存时与他人的记录冲突，请重试"}) from None
    if "supervised_units" in changes:
        person.supervised_units.set(changes["supervised_units"] or [])


def _race_problem(name: str, value, person: User) -> str:
    exclude = person.pk if person.pk else None
    others = User.objects.exclude(pk=exclude) if exclude else User.objects.all()
    if name == "username":
        return f"用户名“{value}”已被使用" if others.filter(username=value).exists() else ""
    return _number_problem(name, value, person if person.pk else None)


def new_password() -> str:
    """A strong temporary password: letters of both cases and digits, nothing to misread."""
    while True:
        word = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        if (
            any(c.islower() for c in word)
            and any(c.isupper() for c in word)
            and any(c.isdigit() for c in word)
        ):
            return word


class _GeneratedPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 at fewer rounds, for passwords this module generates (see `_set_password`)."""

    iterations = GENERATED_HASH_ITERATIONS


def _set_password(person: User, password: str, *, generated: bool) -> None:
    """A generated password is random (14 characters of 57, about 82 bits): the slow hash
    that protects a chosen password adds nothing against guessing it, and costs 0.4 s a person
    (minutes for a roster of a few hundred, its preview as much again). It is hashed as the
    configured PBKDF2 hashes are, with fewer rounds; the configured hasher verifies it and
    re-hashes it at its own strength at the first sign-in, when it must be changed anyway. A
    chosen password, or an installation configured with another hasher, gets the default."""
    if generated and get_hashers()[0].algorithm == _GeneratedPasswordHasher.algorithm:
        person.password = make_password(password, hasher=_GeneratedPasswordHasher())
        person._password = password
    else:
        person.set_password(password)


def _unknown(fields: dict) -> None:
    if extra := sorted(set(fields) - set(EDITABLE)):
        raise TypeError(f"not editable person fields: {', '.join(extra)}")


def create_person(actor, *, password: str | None = None, **fields) -> tuple[User, str]:
    """Adds a person (active, 在岗) who must change the password at first sign-in. Returns
    the person and the initial password (the given one, or a generated one shown once).
    One audit entry "agency.person_create" with `after`."""
    _unknown(fields)
    _require_manager(actor)
    fields = normalise(fields)
    fields.setdefault("role", Role.OFFICER)
    for name in ("username", "full_name", "unit"):
        fields.setdefault(name, "" if name != "unit" else None)
    if fields.get("role") != Role.SUPERVISOR and not fields.get("supervised_units"):
        fields.pop("supervised_units", None)
    found = _problems(actor, None, fields, fields["role"])
    if password is not None and "username" not in found:
        try:
            validate_password(
                password, User(username=fields["username"], full_name=fields["full_name"])
            )
        except ValidationError as exc:
            found["password"] = "；".join(exc.messages)
    if found:
        raise Invalid(fields=found)
    generated = password is None
    password = new_password() if generated else password
    with transaction.atomic():
        person = User(is_active=True, must_change_password=True)
        _apply(person, fields)
        _set_password(person, password, generated=generated)
        _save(person, None, fields, fields)
        after = {name: _shown(person, name) for name in EDITABLE}
        audit.record(
            "agency.person_create",
            actor=actor,
            obj=person,
            summary=f"新增人员 {person.display_name}（{person.username}），"
            f"{person.unit.name}，{Role(person.role).label}",
            detail={"after": after},
        )
    return person, password


def update_person(actor, person: User, **fields) -> User:
    """Changes only the fields given; values equal to the current ones are no change, and no
    change at all writes nothing. Otherwise one audit entry "agency.person_update" with the
    changed fields `before` and `after`. Refuses (Conflict) moving someone who still holds
    devices, recordings or open findings: that is a transfer (调动) with its hand-over."""
    _unknown(fields)
    _require_manager(actor)
    _require_reach(actor, person)
    fields = normalise(fields)
    changes = _changes(person, fields)
    role = changes.get("role", person.role)
    if "role" in changes and role != Role.SUPERVISOR and "supervised_units" not in changes:
        if person.supervised_units.exists():  # no longer a supervisor: nothing to supervise
            changes["supervised_units"] = []
    if not changes:
        return person
    if found := _problems(actor, person, changes, role):
        raise Invalid(fields=found)
    with transaction.atomic():
        _check_conflicts(person, changes)
        before = {name: _shown(person, name) for name in changes}
        names = _apply(person, changes)
        _save(person, names, changes, changes)
        after = {name: _shown(person, name) for name in changes}
        what = "、".join(LABELS[name] for name in changes)
        audit.record(
            "agency.person_update",
            actor=actor,
            obj=person,
            summary=f"修改人员 {person.display_name} 的{what}",
            detail={"before": before, "after": after},
        )
    person._scope_roots = None  # role, unit or supervised units may have changed his scope
    return person


def reset_password(actor, person: User) -> str:
    """A new temporary password for `person`, returned once for the page or API to show; he
    must choose his own at the next sign-in. Audited without the password."""
    _require_manager(actor)
    _require_reach(actor, person)
    if person.pk == actor.pk:
        raise Conflict(OWN_PASSWORD)
    password = new_password()
    with transaction.atomic():
        _set_password(person, password, generated=True)
        person.must_change_password = True
        person.save(update_fields=["password", "must_change_password"])
        audit.record(
            "agency.password_reset",
            actor=actor,
            obj=person,
            summary=f"重置 {person.display_name}（{person.username}）的密码，下次登录须修改",
        )
    return password


# --- the list (one filter for the page and the API, issue 16 §5) ---------------------------

STATUSES = (("1", "在岗"), ("0", "已停用"))


def filter_people(actor, params) -> tuple[QuerySet[User], dict[str, str]]:
    """The people the actor may manage, filtered: q (in 姓名, 用户名, 执法证号, 执法记录编号),
    unit (with the units below it), role, active (1 在岗 / 0 已停用). Invalid values come back
    as Chinese reasons, with an empty list."""
    _require_manager(actor)
    p = Params(params)
    q = p.text("q")
    unit_id = p.integer("unit", "单位")
    role = p.choice("role", Role.choices, "角色")
    active = p.flag("active", "状态")
    qs = User.objects.visible_to(actor)
    if unit_id is not None:
        unit = Unit.objects.visible_to(actor).filter(pk=unit_id).first()
        if unit is None:
            p.errors["unit"] = "单位不存在或不在您的管理范围内"
        else:
            qs = qs.filter(unit_id__in=subtree_unit_ids(unit))
    if p.errors:
        return User.objects.none(), p.errors
    if q:
        number = badges.number(q) or q
        qs = qs.filter(
            Q(full_name__icontains=q)
            | Q(username__icontains=q)
            | Q(badge_no__icontains=number)
            | Q(officer_no__icontains=number)
        )
    if role is not None:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.select_related("unit").order_by("unit__path", "full_name", "username"), {}
