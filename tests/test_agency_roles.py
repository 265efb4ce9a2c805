"""角色与权限 (issue 18 §5): who may do what, read from the approvals engine and the scope rule,
and an assignment checked before it is made.

The org fixture (a bureau with its leader 郑国华; 执法一中队 with 张伟, 王芳 and the
administrator 林海; 执法二中队 with its unit head 孙立); squad 1 works under fuzhou's rules
(its unit head approves viewing and copying, 004§20), squad 2 under chengde's (the head of the
bureau's 办公室 reviews first, 001§22 — and this bureau has no 办公室).
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from avrecords.agency import roles
from avrecords.audit.models import AuditEntry
from avrecords.org.models import Role, User
from avrecords.policies import approvals
from avrecords.policies import services as policies
from avrecords.policies.models import PolicyProfile
from tests.conftest import PASSWORD, client_for
from tests.test_no_codes_on_pages import offending

ROLES_URL = "/agency/roles/"
CHECK_URL = "/agency/roles/check"


@pytest.fixture
def agency(org):
    policies.assign(None, org.squad1, PolicyProfile.objects.get(code="fuzhou"))
    policies.assign(None, org.squad2, PolicyProfile.objects.get(code="chengde"))
    org.head1 = _person("zhongdui1", "陈刚", Role.UNIT_HEAD, org.squad1)
    return org


def _person(username, name, role, unit) -> User:
    user = User(username=username, full_name=name, role=role, unit=unit)
    user.set_password(PASSWORD)
    user.save()
    return user


def _text(response) -> str:
    """The words a person reads on the page (no tags, scripts or attribute values)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(response, decision: str) -> str:
    """The table row of the decision on the by-role page, as text."""
    html = response.content.decode()
    found = re.search(
        rf"<tr>\s*<td data-label=\"事项\">{re.escape(decision)}</td>.*?</tr>", html, re.S
    )
    assert found, decision
    return re.sub(r"<[^>]+>", "", found.group())


def _check(org, person, role, unit=None, **extra):
    query = {"person": person.pk, "role": role, **extra}
    if unit is not None:
        query["unit"] = unit.pk
    return client_for(org.sysadmin).get(CHECK_URL, query)


# --- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "admin", "leader", "head2"])
def test_it_refuses_everyone_but_system_administrators(agency, who):
    client = client_for(getattr(agency, who))
    for url in (ROLES_URL, f"{CHECK_URL}?person={agency.officer.pk}&role=unit_head"):
        response = client.get(url)
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()


def test_it_answers_a_person_who_does_not_exist_as_missing(agency):
    response = client_for(agency.sysadmin).get(CHECK_URL, {"person": 999999, "role": "leader"})
    assert response.status_code == 404


def test_the_menu_offers_the_page_to_system_administrators_only(agency):
    assert "角色与权限" in client_for(agency.sysadmin).get(ROLES_URL).content.decode()
    assert "角色与权限" not in client_for(agency.leader).get("/policies/").content.decode()


# --- by role --------------------------------------------------------------------------------


def test_the_page_names_the_people_who_decide_in_the_chosen_unit(agency):
    response = client_for(agency.sysadmin).get(ROLES_URL, {"unit": agency.squad1.pk})
    assert response.status_code == 200
    view = _row(response, "查阅申请审批")
    assert "陈刚" in view and "单位负责人" in view and "第二十条" in view
    assert "林海" in _row(response, "查阅申请办理")
    # the bureau's leader approves accountability decisions over the squad (the platform's)
    assert "郑国华" in _row(response, "审批处理决定")
    # fuzhou carries nothing out for a marking: it takes effect once approved
    marking = _row(response, "密级标注申请办理")
    assert "无需办理" in marking and "无人可办" not in marking
    # where the rules cite no article, their note says who else may decide and why
    assert "上级分管领导可办理单位负责人的事项" in _row(response, "确认中断说明")


def test_it_says_in_the_engines_words_why_nobody_can_decide(agency):
    """chengde: the 办公室's head reviews first; this bureau has set up no 办公室."""
    response = client_for(agency.sysadmin).get(ROLES_URL, {"unit": agency.squad2.pk})
    first = _row(response, "查阅申请审批（第1步）")
    assert "无人可办" in first
    assert "本机构未设置该单位" in first and "办公室" in first
    assert "郑国华" in _row(response, "查阅申请审批（第2步）")


def test_it_defaults_to_the_top_unit_and_says_it_has_no_profile(agency):
    response = client_for(agency.sysadmin).get(ROLES_URL)
    text = _text(response)
    assert "某市市场监督管理局的审批事项" in text and "未指定" in text
    assert "未配置执法音像记录规定" in _row(response, "查阅申请审批")


def test_officers_and_system_administrators_have_what_the_predicates_say(agency):
    officer = roles.capabilities(User(role=Role.OFFICER, unit=agency.squad1))
    sysadmin = roles.capabilities(User(role=Role.SYSADMIN))
    assert "上传音像记录" in officer and "录入执法活动" in officer
    assert "管理人员" not in officer and "完整性校验" not in officer
    assert {"管理人员", "管理执法策略", "完整性校验", "上传音像记录"} <= set(sysadmin)
    assert "抽查评分" not in sysadmin  # only supervisors score (supervision.scoring)
    text = _text(client_for(agency.sysadmin).get(ROLES_URL))
    officer_row = text[text.index("执法人员") : text.index("设备及音像资料管理员")]
    assert "上传音像记录" in officer_row and "管理人员" not in officer_row
    assert "本人的音像记录" in officer_row


def test_each_role_lists_the_steps_the_engine_gives_it_in_the_unit(agency):
    table = {r["name"]: r["steps"] for r in roles.role_table(roles.step_rows(agency.squad1))}
    assert "查阅申请审批" in table["单位负责人"] and "确认中断说明" in table["单位负责人"]
    # the leader above may acknowledge what the unit head may (the platform's rule)
    assert "确认中断说明" in table["分管领导"] and "查阅申请审批" not in table["分管领导"]
    assert "查阅申请办理" in table["设备及音像资料管理员"]
    assert table["执法人员"] == []
    response = client_for(agency.sysadmin).get(ROLES_URL, {"unit": agency.squad1.pk})
    text = _text(response)
    head_row = text[text.index("单位负责人 ") : text.index("分管领导 ")]
    assert "查阅申请审批" in head_row


def test_the_pages_show_no_codes(agency):
    client = client_for(agency.sysadmin)
    pages = [
        client.get(ROLES_URL, {"unit": agency.squad1.pk}),
        client.get(ROLES_URL, {"unit": agency.squad2.pk}),
        _check(agency, agency.head1, Role.OFFICER, agency.squad2),
    ]
    codes = [*Role.values, *approvals.DECISIONS, "fuzhou", "chengde"]
    for response in pages:
        text = _text(response)
        assert offending(text) == []
        assert [
            code for code in codes if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w])", text)
        ] == []


# --- checking an assignment ----------------------------------------------------------------


def test_an_officer_made_unit_head_gains_the_viewing_approval(agency):
    response = _check(agency, agency.officer2, Role.UNIT_HEAD, agency.squad1)
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert "执法一中队：查阅申请审批" in outcome.steps_gained
    assert "执法一中队：复制申请审批" in outcome.steps_gained
    assert "上传音像记录" in outcome.losses and "完整性校验" in outcome.gains
    assert (
        outcome.scope_before.startswith("本人") and outcome.scope_after == "执法一中队及其下级单位"
    )
    assert "王芳" in _text(response) and "查阅申请审批" in _text(response)


def test_the_only_unit_head_moving_away_leaves_his_squad_without_a_decider(agency):
    agency.leader.is_active = False  # nobody above stands in for him
    agency.leader.save()
    outcome = _check(agency, agency.head1, Role.UNIT_HEAD, agency.squad2).context["outcome"]
    assert "执法一中队将无人能办理“查阅申请审批”（现由陈刚办理）" in outcome.warnings
    assert "执法一中队将无人能办理“复制申请审批”（现由陈刚办理）" in outcome.warnings
    assert "执法一中队：查阅申请审批" in outcome.steps_lost


def test_the_leader_stands_in_where_the_unit_head_leaves(agency):
    """fuzhou's access steps: without a unit head who may, the leader above decides (the
    engine reads holders from the database; the page corrects for the person moving)."""
    outcome = _check(agency, agency.head1, Role.OFFICER, agency.squad1).context["outcome"]
    assert not [w for w in outcome.warnings if "查阅申请审批" in w]
    row = next(r for r in roles.step_rows(agency.squad1) if r.key == "access.view")
    later = roles._deciders_after(row, agency.head1, roles.copy_as(outcome.proposal))
    assert [p.display_name for p in later] == ["郑国华"]


def test_the_new_only_decider_is_warned_of(agency):
    agency.head1.delete()
    outcome = _check(agency, agency.officer2, Role.UNIT_HEAD, agency.squad1).context["outcome"]
    assert "王芳将是执法一中队唯一能办理“查阅申请审批”的人" in outcome.warnings


def test_a_supervisor_is_checked_over_the_units_he_would_supervise(agency):
    outcome = _check(
        agency, agency.officer, Role.SUPERVISOR, agency.bureau, supervised=[agency.squad2.pk]
    ).context["outcome"]
    assert outcome.scope_after == "执法二中队及其下级单位"
    assert "执法二中队：认定违规线索" in outcome.steps_gained
    assert "抽查评分" in outcome.gains


def test_checking_writes_nothing(agency):
    client = client_for(agency.sysadmin)  # signing in is audited
    before = AuditEntry.objects.count()
    query = {"person": agency.head1.pk, "role": Role.LEADER, "unit": agency.bureau.pk}
    response = client.get(CHECK_URL, query)
    assert response.status_code == 200
    agency.head1.refresh_from_db()
    assert (agency.head1.role, agency.head1.unit) == (Role.UNIT_HEAD, agency.squad1)
    assert AuditEntry.objects.count() == before


def test_it_asks_for_a_role_under_its_field(agency):
    response = _check(agency, agency.officer, "")
    assert response.status_code == 422
    assert "请选择角色" in response.content.decode()
    assert "outcome" not in response.context


def test_it_refuses_a_retired_unit(agency):
    agency.squad2.retired_at = timezone.now()
    agency.squad2.save()
    response = _check(agency, agency.officer, Role.OFFICER, agency.squad2)
    assert response.status_code == 422
    assert "“执法二中队”已撤销，不能任职" in response.content.decode()
