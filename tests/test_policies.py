"""X3 policy profiles: the five agencies' profiles ship with the product, each value with its
article; administrators import, edit, export and assign them; bad profiles name the field."""

from __future__ import annotations

import pytest
import yaml

from avrecords import events
from avrecords.audit.models import AuditEntry
from avrecords.jobs.models import Job
from avrecords.org.models import Unit
from avrecords.policies import services
from avrecords.policies.models import PolicyProfile, UnitPolicy
from avrecords.policies.schema import DeadlineRule, Keep
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FIVE = {"tongbai", "chengde", "lingchuan", "zhanhe", "fuzhou"}


def source_of(code: str) -> str:
    return PolicyProfile.objects.get(code=code).source


def renamed(code: str, new: str, **replace: str) -> str:
    text = source_of(code).replace(f"code: {code}", f"code: {new}")
    for old, value in replace.items():
        text = text.replace(old, value)
    return text


# --- the shipped profiles ------------------------------------------------------------------


def test_the_five_agencies_profiles_ship_with_the_product():
    rows = {p.code: p for p in PolicyProfile.objects.all()}
    assert FIVE <= set(rows) and all(rows[c].builtin for c in FIVE)
    assert rows["fuzhou"].name == "福州市城市管理委员会"
    assert {rows[c].profile.source_file for c in FIVE} == {"000", "001", "002", "003", "004"}


@pytest.mark.parametrize(
    ("code", "rule", "amount", "cite"),
    [
        ("tongbai", DeadlineRule.WORKING_DAYS, 2, "000§17"),  # 2个工作日内
        ("chengde", DeadlineRule.SAME_DAY, 0, "001§19"),  # 当天…第一时间
        ("lingchuan", DeadlineRule.HOURS, 24, "002§15"),  # 执法结束后24小时内
        ("zhanhe", DeadlineRule.AFTER_ACTIVITY, 24, "003§13"),  # 每次执法活动结束后
        ("fuzhou", DeadlineRule.HOURS, 24, "004§17"),  # 24小时内
    ],
)
def test_each_profile_states_its_ingest_deadline_with_the_article(code, rule, amount, cite):
    deadline = PolicyProfile.objects.get(code=code).profile.ingest.deadline
    assert (deadline.rule, deadline.amount) == (rule, amount)
    assert cite in deadline.cite


def test_the_numbers_that_differ_between_agencies_are_each_agencys_own():
    p = {c: PolicyProfile.objects.get(code=c).profile for c in FIVE}
    # Retention of ordinary recordings: 2 years, 2 years, 1 year, 120 months, 2 years (M5).
    general = {c: p[c].retention.categories[0] for c in FIVE}
    assert (general["tongbai"].keep, general["tongbai"].amount) == (Keep.YEARS, 2)
    assert (general["lingchuan"].keep, general["lingchuan"].amount) == (Keep.YEARS, 1)
    assert (general["zhanhe"].keep, general["zhanhe"].amount) == (Keep.MONTHS, 120)
    assert general["zhanhe"].review_at_expiry  # 003§15 到期后清除无保存意义的
    permanent = [c for c in p["fuzhou"].retention.categories if c.keep == Keep.PERMANENT]
    assert {c.cite for c in permanent} >= {f"004§19(3){n}" for n in range(1, 7)}
    # Staffing: 1 camera per 3 officers (000§7), 1 per 2 and 2 per field squad (004§5).
    assert p["tongbai"].staffing.officers_per_camera == 3
    assert (p["fuzhou"].staffing.officers_per_camera, p["fuzhou"].staffing.min_per_field_squad) == (
        2,
        2,
    )
    # Only fuzhou grants a longer deadline, and never for disputes (004§17).
    assert p["fuzhou"].ingest.extension.amount == 2
    assert "dispute" in p["fuzhou"].ingest.extension.not_for
    assert all(p[c].ingest.extension is None for c in FIVE - {"fuzhou"})
    # Zhanhe reviews at least once a year (003§17).
    assert p["zhanhe"].supervision.sampling.reviews_per_year == 1


def test_every_value_is_traceable_to_an_article_or_says_why_not():
    def walk(node, where):
        if isinstance(node, dict):
            if "cite" in node:
                assert node["cite"] or node["note"], where
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    for code in FIVE:
        walk(PolicyProfile.objects.get(code=code).data, code)


def test_the_detail_page_shows_values_with_their_articles(org):
    body = client_for(org.officer).get("/policies/fuzhou/").content.decode()
    assert "福州市城市管理委员会" in body
    assert "结束后24小时内" in body and ">第十七条</span>" in body
    assert ">第十九条第（三）项第4目</span>" in body  # 可能引起投诉、上访、复议或诉讼的: 永久保存


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('amount: 2, cite: "000§17"', 'amount: -2, cite: "000§17"'), "ingest.deadline"),
        (
            ("officers_per_camera: 3", "officers_per_camera: 0"),
            "staffing.officers_per_camera：须大于 0",
        ),
        (("rule: working_days", "rule: weekly"), "ingest.deadline.rule：须为以下之一"),
        (('cite: "000§7"', 'cite: "第七条"'), "staffing.cite：条款引用“第七条”格式应为"),
        (
            ("  officers_per_camera: 3", "  officers_per_camera: 3\n  colour: red"),
            "staffing.colour：不认识的字段",
        ),
        (
            ("default: general", "default: forever"),
            "retention：default “forever” 不在 categories 中",
        ),
        (("acknowledged_by: unit_head", "acknowledged_by: mayor"), "未知角色：mayor"),
    ],
)
def test_an_invalid_profile_is_refused_naming_the_field(change, message):
    old, new = change
    text = renamed("tongbai", "bad")
    assert old in text
    with pytest.raises(services.ProfileInvalid) as refused:
        services.save_profile(None, text.replace(old, new, 1))
    assert any(message in e for e in refused.value.errors), refused.value.errors
    assert not PolicyProfile.objects.filter(code="bad").exists()


def test_a_negative_deadline_is_refused_with_a_message_about_the_amount():
    text = renamed("tongbai", "bad").replace(
        'amount: 2, cite: "000§17"', 'amount: -2, cite: "000§17"'
    )
    with pytest.raises(services.ProfileInvalid) as refused:
        services.parse(text)
    assert refused.value.errors == ["ingest.deadline：amount 不能为负数"]


def test_broken_yaml_is_refused_with_its_line():
    with pytest.raises(services.ProfileInvalid) as refused:
        services.parse("code: x\nname: [unclosed\n")
    assert refused.value.errors[0].startswith("YAML 格式错误：第 3 行")


def test_a_missing_section_is_named():
    document = yaml.safe_load(source_of("tongbai"))
    del document["ingest"]
    with pytest.raises(services.ProfileInvalid) as refused:
        services.parse(yaml.safe_dump(document, allow_unicode=True))
    assert "ingest：缺少此项" in refused.value.errors


# --- administrators: import, edit, export, assign -----------------------------------------------


def test_an_administrator_imports_a_profile_on_the_page_and_it_is_audited(org):
    client = client_for(org.sysadmin)
    text = renamed(
        "lingchuan", "lingchuan_2027", **{"name: 陵川县林业局": "name: 陵川县林业局（2027修订）"}
    )
    response = client.post("/policies/new", {"source": text})
    assert response.status_code == 302 and response["Location"] == "/policies/lingchuan_2027/"
    row = PolicyProfile.objects.get(code="lingchuan_2027")
    assert not row.builtin and row.source == text and row.updated_by == org.sysadmin
    entry = AuditEntry.objects.get(action="policy.create")
    assert (entry.actor_id, entry.object_id) == (org.sysadmin.pk, str(row.pk))
    # Exported byte for byte as written, comments included.
    exported = client.get("/policies/lingchuan_2027/export")
    assert exported.content.decode() == text and "attachment" in exported["Content-Disposition"]


def test_an_invalid_upload_shows_every_error_and_saves_nothing(org):
    text = renamed("tongbai", "bad").replace("officers_per_camera: 3", "officers_per_camera: -1")
    text = text.replace("min_per_unit: 1", "min_per_unit: -5")
    response = client_for(org.sysadmin).post("/policies/new", {"source": text})
    body = response.content.decode()
    assert response.status_code == 422
    assert "staffing.officers_per_camera：须大于 0" in body
    assert "staffing.min_per_unit：须不小于 0" in body
    assert not PolicyProfile.objects.filter(code="bad").exists()
    assert not AuditEntry.objects.filter(action="policy.create").exists()


def test_built_in_profiles_cannot_be_edited_but_copies_can(org):
    with pytest.raises(services.ProfileReadOnly):
        services.save_profile(org.sysadmin, source_of("tongbai"), replace="tongbai")
    row = services.save_profile(org.sysadmin, renamed("tongbai", "county"))
    edited = row.source.replace("officers_per_camera: 3", "officers_per_camera: 4")
    services.save_profile(org.sysadmin, edited, replace="county")
    row.refresh_from_db()
    assert row.profile.staffing.officers_per_camera == 4
    entry = AuditEntry.objects.get(action="policy.update")
    assert entry.detail["sections"] == ["staffing"]
    with pytest.raises(services.ProfileInvalid, match="不能更改策略代码"):
        services.save_profile(org.sysadmin, renamed("county", "other"), replace="county")


def test_a_unit_inherits_its_parents_profile_unless_it_has_its_own(org):
    bureau = org.squad1.parent
    services.assign(org.sysadmin, bureau, PolicyProfile.objects.get(code="fuzhou"))
    assert services.profile_for_unit(org.squad1).code == "fuzhou"
    profile, on_unit = services.assignment_of(org.squad2)
    assert (profile.code, on_unit) == ("fuzhou", bureau)
    services.assign(org.sysadmin, org.squad2, PolicyProfile.objects.get(code="zhanhe"))
    assert services.profile_for_unit(org.squad2).code == "zhanhe"
    assert services.profile_for_unit(org.squad1).code == "fuzhou"
    services.assign(org.sysadmin, org.squad2, None)  # back to inheriting
    assert services.profile_for_unit(org.squad2).code == "fuzhou"
    assert [
        e.detail for e in AuditEntry.objects.filter(action="policy.assign").order_by("seq")
    ] == [
        {"before": None, "after": "fuzhou"},
        {"before": None, "after": "zhanhe"},
        {"before": "zhanhe", "after": None},
    ]


def test_a_new_assignment_is_an_event_and_compliance_reevaluates_the_unit(org):
    """Policies names no app above it: it sends PROFILE_ASSIGNED, compliance enqueues."""
    heard = []

    def receiver(**payload):
        heard.append(payload)

    events.PROFILE_ASSIGNED.connect(receiver)
    try:
        fuzhou = PolicyProfile.objects.get(code="fuzhou")
        services.assign(org.sysadmin, org.squad1, fuzhou)
        services.assign(org.sysadmin, org.squad1, fuzhou)  # unchanged: nothing happens
        services.assign(org.sysadmin, org.squad1, None)
    finally:
        events.PROFILE_ASSIGNED.disconnect(receiver)
    assert heard == [
        {"unit": org.squad1, "profile": fuzhou, "actor": org.sysadmin},
        {"unit": org.squad1, "profile": None, "actor": org.sysadmin},
    ]
    jobs = Job.objects.filter(kind="compliance.reevaluate_unit")
    assert [job.subject_id for job in jobs] == [str(org.squad1.pk)] * 2


def test_the_units_page_assigns_and_shows_inheritance(org):
    client = client_for(org.sysadmin)
    bureau = org.squad1.parent
    response = client.post("/policies/units", {"unit": bureau.pk, "profile": "tongbai"})
    assert response.status_code == 302
    assert UnitPolicy.objects.get(unit=bureau).profile.code == "tongbai"
    body = client.get("/policies/units").content.decode()
    assert f"继承自 {bureau.name}" in body
    assert (
        client.post("/policies/units", {"unit": bureau.pk, "profile": "nosuch"}).status_code == 302
    )
    assert UnitPolicy.objects.get(unit=bureau).profile.code == "tongbai"


def test_an_officer_sees_which_profile_applies_to_his_unit(org):
    services.assign(
        org.sysadmin,
        Unit.objects.get(pk=org.squad1.parent_id),
        PolicyProfile.objects.get(code="chengde"),
    )
    body = client_for(org.officer).get("/policies/").content.decode()
    assert "您所在单位适用" in body and "承德县安全生产监督管理局" in body
    assert "导入新策略" not in body


# --- API -----------------------------------------------------------------------------------


def test_the_api_imports_yaml_and_answers_422_with_the_fields(org):
    client = client_for(org.sysadmin)
    bad = renamed("tongbai", "api_bad").replace("officers_per_camera: 3", "officers_per_camera: x")
    refused = client.post("/api/v1/policies", bad, content_type="application/yaml")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "staffing.officers_per_camera", "message": "须为整数"}
    ]
    assert refused.json()["detail"] == "策略未保存：staffing.officers_per_camera：须为整数"
    made = client.post(
        "/api/v1/policies", renamed("tongbai", "api_ok"), content_type="application/yaml"
    )
    assert (
        made.status_code == 201 and made.json()["profile"]["staffing"]["officers_per_camera"] == 3
    )
    builtin = client.put(
        "/api/v1/policies/tongbai", source_of("tongbai"), content_type="application/yaml"
    )
    assert builtin.status_code == 403 and builtin.json()["detail"].startswith("无权修改")
    assert client.get("/api/v1/policies/nosuch").status_code == 404
