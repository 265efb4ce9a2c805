"""M5: the retention category and keep-until date of recordings with different histories,
under each of the five shipped profiles (dates worked out by hand from the articles cited).

The rules are pure (`retention.rules.decide`): facts in, decision out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from avrecords.policies.schema import Profile
from avrecords.retention.rules import CaseFacts, decide, later

BUILTIN = Path(__file__).parents[1] / "src/avrecords/policies/builtin"
RECORDED = dt.date(2026, 11, 20)
FILED = dt.date(2027, 3, 10)


def profile(code: str) -> Profile:
    return Profile.model_validate(yaml.safe_load((BUILTIN / f"{code}.yaml").read_text()))


def case(case_type="penalty", filed=FILED, years=30) -> CaseFacts:
    return CaseFacts("罚〔2026〕12号", case_type, filed, years)


# --- tongbai (000): ≥2 years; evidence with the case file; 000§20 long-term cases -----------


def test_tongbai_an_ordinary_recording_is_kept_two_years():
    """000§18 执法全过程音像记录信息最少保存2年."""
    d = decide(profile("tongbai"), RECORDED, {})
    assert (d.category, d.keep_until, d.cite) == ("general", dt.date(2028, 11, 20), "000§18")
    assert d.describe() == "保存至 2028-11-20：000§18，一般执法记录，自录制之日起2年"


def test_tongbai_evidence_is_kept_with_its_case_file():
    """000§18 作为证据使用的记录信息随案卷保存时限保存: filed 2027-03-10, kept 30 years."""
    d = decide(profile("tongbai"), RECORDED, {"case": "案卷 罚12"}, case())
    assert (d.category, d.keep_until, d.pending) == ("evidence", dt.date(2057, 3, 10), False)


def test_tongbai_evidence_of_a_case_not_yet_filed_has_no_date_yet():
    d = decide(profile("tongbai"), RECORDED, {"case": "x"}, case(filed=None))
    assert (d.category, d.keep_until, d.pending) == ("evidence", None, True)
    assert "尚未归档" in d.describe()


def test_tongbai_a_petition_keeps_it_for_the_long_term():
    """000§20(1) 当事人有异议或上访 → 长期保存."""
    d = decide(profile("tongbai"), RECORDED, {"petition": "法律保全 BQ-1", "case": "x"}, case())
    assert (d.category, d.keep_until, d.pending) == ("dispute_or_petition", None, False)
    assert d.describe().startswith("永久保存：000§20(1)，信访、上访（法律保全 BQ-1）")


def test_tongbai_litigation_and_obstruction():
    """000§20(2) 阻碍执行公务; 000§20(3) 涉及复议、诉讼."""
    assert decide(profile("tongbai"), RECORDED, {"litigation": ""}).category == (
        "reconsideration_litigation"
    )
    assert decide(profile("tongbai"), RECORDED, {"obstruction": ""}).category == "obstruction"


# --- chengde (001) and lingchuan (002) --------------------------------------------------------


def test_chengde_two_years_and_evidence_with_the_case():
    """001§20 最少保存2年，作为证据使用的随案卷保存时限保存."""
    p = profile("chengde")
    assert decide(p, RECORDED, {}).keep_until == dt.date(2028, 11, 20)
    assert decide(p, RECORDED, {"evidence": "ZJ-1"}, case(years=10)).keep_until == dt.date(
        2037, 3, 10
    )


def test_lingchuan_one_year_and_evidence_as_long_as_the_case_file():
    """002§16 其他音像记录保存期限不少于一年; 证据与相应的行政执法案卷保存期限一致."""
    p = profile("lingchuan")
    d = decide(p, RECORDED, {})
    assert (d.category, d.keep_until) == ("general", dt.date(2027, 11, 20))
    d = decide(p, RECORDED, {"case": "x"}, case(years=0))
    assert (d.category, d.keep_until, d.pending) == ("evidence", None, False)
    assert "永久保管" in d.reason


def test_lingchuan_has_no_category_for_a_complaint_the_hold_alone_keeps_it():
    """002 names no long-term category: a complaint leaves the date (the hold stops the
    clock while in force; S1)."""
    assert decide(profile("lingchuan"), RECORDED, {"complaint": "BQ"}).keep_until == dt.date(
        2027, 11, 20
    )


# --- zhanhe (003): 120 months, then purge what has no value ----------------------------------


def test_zhanhe_keeps_120_months_and_asks_for_review_at_expiry():
    """003§15 保存期限为120个月；到期后…对无保存意义的进行清除处理."""
    p = profile("zhanhe")
    d = decide(p, RECORDED, {})
    assert (d.category, d.keep_until) == ("general", dt.date(2036, 11, 20))
    assert p.retention.category("general").review_at_expiry


def test_zhanhe_evidence_is_never_shorter_than_120_months():
    """Kept with a case file of 5 years filed 2027-03-10 (→ 2032) still keeps to 2036-11-20."""
    d = decide(profile("zhanhe"), RECORDED, {"case": "x"}, case(years=5))
    assert (d.category, d.keep_until) == ("general", dt.date(2036, 11, 20))


def test_zhanhe_kept_at_review_for_its_value_is_long_term():
    """003§16(3) 其他重大、敏感情况有必要保存的 → 长期保存."""
    d = decide(profile("zhanhe"), RECORDED, {"valuable": "复核"})
    assert (d.category, d.keep_until) == ("other_long_term", None)


# --- fuzhou (004§19) ---------------------------------------------------------------------------


def test_fuzhou_guidance_only_two_years():
    """004§19(1) 仅实施引导、劝导、纠正，且未产生纠纷矛盾的 → 2年."""
    d = decide(profile("fuzhou"), RECORDED, {})
    assert (d.category, d.keep_until, d.cite) == (
        "guidance_only",
        dt.date(2028, 11, 20),
        "004§19(1)",
    )


@pytest.mark.parametrize("case_type", ["permit", "penalty", "coercion", "levy"])
def test_fuzhou_permit_penalty_coercion_levy_cases_are_kept_with_the_case(case_type):
    """004§19(2) 与执法文书一起形成案卷，按有关规定归档、保存."""
    d = decide(profile("fuzhou"), RECORDED, {"case": "x"}, case(case_type))
    assert (d.category, d.keep_until) == ("case_file", dt.date(2057, 3, 10))


def test_fuzhou_an_inspection_case_stays_guidance_only():
    d = decide(profile("fuzhou"), RECORDED, {"case": "x"}, case("inspection"))
    assert d.category == "guidance_only"


@pytest.mark.parametrize(
    ("fact", "category", "cite"),
    [
        ("evidence", "evidence", "004§19(3)1"),
        ("mass_incident", "mass_or_sudden_incident", "004§19(3)2"),
        ("dispute", "dispute_event", "004§19(3)3"),
        ("complaint", "dispute_or_petition", "004§19(3)4"),
        ("reconsideration", "dispute_or_petition", "004§19(3)4"),
        ("litigation", "dispute_or_petition", "004§19(3)4"),
        ("public_interest", "public_interest_or_safety", "004§19(3)5"),
        ("major_case", "major_complex_case", "004§19(3)6"),
    ],
)
def test_fuzhou_permanent_situations(fact, category, cite):
    """004§19(3) 应当永久保存."""
    d = decide(profile("fuzhou"), RECORDED, {fact: "来源"}, case())
    assert (d.category, d.keep_until, d.pending, d.cite) == (category, None, False, cite)


def test_fuzhou_used_as_evidence_reads_as_the_issue_says():
    d = decide(profile("fuzhou"), RECORDED, {"evidence": "证据导出 ZJ-7"})
    assert d.describe() == "永久保存：004§19(3)1，作为证据使用（证据导出 ZJ-7）"


# --- dates and the only-extend rule ------------------------------------------------------------


def test_a_released_hold_adds_the_days_it_stood():
    """S1: a hold stops the clock; 40 days held → 40 days later."""
    d = decide(profile("tongbai"), RECORDED, {}, held_days=40)
    assert d.keep_until == dt.date(2028, 11, 20) + dt.timedelta(days=40)
    assert "法律保全40天" in d.reason


def test_the_29th_of_february_ends_on_the_28th():
    d = decide(profile("tongbai"), dt.date(2028, 2, 29), {})
    assert d.keep_until == dt.date(2030, 2, 28)


def test_only_longer_decisions_replace_the_kept_one_but_a_pending_date_may_become_a_date():
    p = profile("tongbai")
    two_years = decide(p, RECORDED, {})
    permanent = decide(p, RECORDED, {"petition": ""})
    pending = decide(p, RECORDED, {"case": ""}, case(filed=None))
    filed = decide(p, RECORDED, {"case": ""}, case())
    assert later(two_years, permanent) and not later(permanent, two_years)
    assert later(two_years, pending) and not later(permanent, pending)
    assert later(pending, filed)  # the case was filed: the date is now known
    assert not later(filed, two_years)
