"""M5: the keep-until date, the reason and the article a recording page shows, to the day,
under the five shipped profiles (issue 23 §2, the survivors of `make mutate` on
retention/rules.py).

Worked by hand from the articles: tongbai 000§18 最少保存2年, chengde 001§20 最少保存2年,
lingchuan 002§16 不少于一年, zhanhe 003§15 120个月, fuzhou 004§19(1) 2年; evidence kept with its
case file (000§18, 001§20, 002§16); long-term situations (000§20, 003§16, 004§19(3)). Dates
count from the recording day (自录制之日起) or the case file's filing day plus its archive term,
keep the day of the month or fall back to the month's last day (31 January + 1 month = 28 or 29
February), and a released legal hold adds the days it stood (S1). Pinned: the whole decision
(category, its name, keep, date, pending, cite, reason, the facts known), the sentence the
recording page shows (`Decision.describe`), which category explains a tie, and which
recomputed decisions may replace the kept one (only longer ones, `later`).
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from avrecords.policies.schema import Profile
from avrecords.retention.rules import Decision, add_months, decide, later
from tests.test_retention_rules import BUILTIN, RECORDED, case, profile

CASE = "罚〔2026〕12号"  # the number tests.test_retention_rules.case gives every case


def dated(category, name, until, cite, reason) -> Decision:
    """A decision kept for a term in years, from no facts."""
    return Decision(category, name, "years", until, False, cite, reason, [])


# --- months and years, month ends, leap days -----------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),  # February of a common year
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # February of a leap year
        (dt.date(2026, 5, 31), 1, dt.date(2026, 6, 30)),  # a month of 30 days
        (dt.date(2026, 3, 31), 11, dt.date(2027, 2, 28)),
        (dt.date(2026, 11, 20), 2, dt.date(2027, 1, 20)),  # across the year end
        (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 31)),  # December to January
        (dt.date(2026, 12, 31), 12, dt.date(2027, 12, 31)),
        (dt.date(2026, 8, 31), 120, dt.date(2036, 8, 31)),  # zhanhe's 120 months
        (dt.date(2028, 2, 29), 48, dt.date(2032, 2, 29)),  # leap day to leap day
        (dt.date(2028, 2, 29), 24, dt.date(2030, 2, 28)),
        (dt.date(2026, 7, 15), 0, dt.date(2026, 7, 15)),
    ],
)
def test_a_term_in_months_keeps_the_day_or_ends_on_the_months_last_day(day, months, expected):
    assert add_months(day, months) == expected


# --- each profile's default category, the whole decision ---------------------------------------


@pytest.mark.parametrize(
    ("code", "expected", "shown"),
    [
        (
            "tongbai",
            dated(
                "general",
                "一般执法记录",
                dt.date(2028, 11, 20),
                "000§18",
                "一般执法记录，自录制之日起2年",
            ),
            "保存至 2028-11-20：000§18，一般执法记录，自录制之日起2年",
        ),
        (
            "chengde",
            dated(
                "general",
                "一般执法记录",
                dt.date(2028, 11, 20),
                "001§20",
                "一般执法记录，自录制之日起2年",
            ),
            "保存至 2028-11-20：001§20，一般执法记录，自录制之日起2年",
        ),
        (
            "lingchuan",
            dated(
                "general",
                "其他音像记录",
                dt.date(2027, 11, 20),
                "002§16",
                "其他音像记录，自录制之日起1年",
            ),
            "保存至 2027-11-20：002§16，其他音像记录，自录制之日起1年",
        ),
        (
            "zhanhe",
            Decision(
                "general",
                "音像记录声像资料",
                "months",
                dt.date(2036, 11, 20),
                False,
                "003§15",
                "音像记录声像资料，自录制之日起120个月",
                [],
            ),
            "保存至 2036-11-20：003§15，音像记录声像资料，自录制之日起120个月",
        ),
        (
            "fuzhou",
            dated(
                "guidance_only",
                "仅实施引导、劝导、纠正且未产生纠纷矛盾",
                dt.date(2028, 11, 20),
                "004§19(1)",
                "仅实施引导、劝导、纠正且未产生纠纷矛盾，自录制之日起2年",
            ),
            "保存至 2028-11-20：004§19(1)，仅实施引导、劝导、纠正且未产生纠纷矛盾，自录制之日起2年",
        ),
    ],
)
def test_a_recording_with_no_facts_gets_its_profiles_default_term(code, expected, shown):
    """000§18 最少保存2年; 001§20 最少保存2年; 002§16 不少于一年; 003§15 120个月; 004§19(1) 2年."""
    d = decide(profile(code), RECORDED, {})
    assert d == expected
    assert d.describe() == shown


def test_zhanhes_120_months_from_new_years_eve_end_on_new_years_eve():
    """003§15 保存期限为120个月, from Thu 31 December 2026."""
    d = decide(profile("zhanhe"), dt.date(2026, 12, 31), {})
    assert d.describe() == "保存至 2036-12-31：003§15，音像记录声像资料，自录制之日起120个月"


def test_the_decision_lists_every_fact_known_not_only_those_that_decided():
    """The recording page lists what is known about the recording; tongbai 000§20(1) decides."""
    facts = {"petition": "法律保全 BQ-1", "case": "案卷 罚12", "valuable": ""}
    d = decide(profile("tongbai"), RECORDED, facts, case())
    assert d == Decision(
        "dispute_or_petition",
        "当事人有异议或上访",
        "permanent",
        None,
        False,
        "000§20(1)",
        "信访、上访（法律保全 BQ-1）",
        ["case", "petition", "valuable"],
    )


# --- the reason: the facts that matched, in the profile's order, with where each comes from ----


def test_two_facts_of_one_category_are_joined_and_a_fact_without_a_source_has_no_brackets():
    """000§20(1) 当事人有异议或者上访: both facts named, in the order the profile lists them."""
    facts = {"petition": "信访件 XF-3", "objection": ""}
    d = decide(profile("tongbai"), RECORDED, facts)
    assert d.describe() == "永久保存：000§20(1)，当事人有异议；信访、上访（信访件 XF-3）"


def test_evidence_of_a_filed_case_keeps_the_case_files_term_from_a_leap_day():
    """000§18 作为证据使用的记录信息随案卷保存时限保存: filed Tue 29 February 2028 for 10 years
    → 28 February 2038."""
    facts = {"case": "案卷 罚12", "evidence": "证据导出 ZJ-7"}
    d = decide(profile("tongbai"), RECORDED, facts, case(filed=dt.date(2028, 2, 29), years=10))
    assert d == Decision(
        "evidence",
        "作为证据使用",
        "with_case",
        dt.date(2038, 2, 28),
        False,
        "000§18,000§21",
        f"与执法文书一起形成案卷（案卷 罚12）；作为证据使用（证据导出 ZJ-7），案卷 {CASE} 归档后保管10年",
        ["case", "evidence"],
    )
    assert d.describe() == (
        "保存至 2038-02-28：000§18,000§21，与执法文书一起形成案卷（案卷 罚12）；"
        f"作为证据使用（证据导出 ZJ-7），案卷 {CASE} 归档后保管10年"
    )


def test_evidence_of_a_case_not_yet_filed_waits_for_the_filing():
    """001§20 随案卷保存时限保存: no date until the case file is filed (归档)."""
    d = decide(profile("chengde"), RECORDED, {"case": "案卷 罚12"}, case(filed=None))
    assert (d.category, d.keep, d.keep_until, d.pending) == ("evidence", "with_case", None, True)
    assert d.describe() == (
        "随案卷保存（案卷归档后确定期限）：001§20,001§21，"
        f"与执法文书一起形成案卷（案卷 罚12），案卷 {CASE} 尚未归档"
    )


def test_evidence_exported_before_any_case_file_waits_for_one():
    """002§16 证据与相应的行政执法案卷保存期限一致: exported as evidence, in no case file yet."""
    d = decide(profile("lingchuan"), RECORDED, {"evidence": "证据导出 ZJ-7"})
    assert (d.category, d.keep_until, d.pending) == ("evidence", None, True)
    assert d.describe() == (
        "随案卷保存（案卷归档后确定期限）：002§16，作为证据使用（证据导出 ZJ-7），尚未归入案卷"
    )


@pytest.mark.parametrize("code", ["tongbai", "fuzhou"])
def test_a_case_fact_without_the_case_itself_keeps_the_default_term(code):
    """004§19(2) names the case types (行政许可、行政处罚、行政强制、行政征收): without the case
    (its type, its filing) the fact alone puts the recording in no case category."""
    d = decide(profile(code), RECORDED, {"case": "案卷 罚12"})
    assert (d.keep_until, d.pending, d.cite) == (
        dt.date(2028, 11, 20),
        False,
        "000§18" if code == "tongbai" else "004§19(1)",
    )


def test_a_case_fact_without_the_case_still_lets_the_evidence_fact_count():
    """002§16 作为行政执法证据使用: the category names the case first, then the evidence; the
    case fact left aside, the export as evidence still keeps it with a case file to come."""
    facts = {"case": "案卷 罚12", "evidence": "证据导出 ZJ-7"}
    d = decide(profile("lingchuan"), RECORDED, facts)
    assert (d.category, d.pending) == ("evidence", True)
    assert d.reason == "作为证据使用（证据导出 ZJ-7），尚未归入案卷"


# --- legal holds (S1) ---------------------------------------------------------------------------


def test_a_released_hold_moves_the_date_across_the_year_end_and_onto_a_leap_day():
    """S1: 15 days held after 20 December 2028 → 4 January 2029; 9 days after 20 February 2028
    → 29 February 2028 (lingchuan 002§16: one year)."""
    d = decide(profile("tongbai"), dt.date(2026, 12, 20), {}, held_days=15)
    assert d.describe() == (
        "保存至 2029-01-04：000§18，一般执法记录，自录制之日起2年，另加法律保全15天"
    )
    d = decide(profile("lingchuan"), dt.date(2027, 2, 20), {}, held_days=9)
    assert d.keep_until == dt.date(2028, 2, 29)


def test_a_hold_adds_nothing_to_a_permanent_or_a_pending_decision():
    permanent = decide(profile("fuzhou"), RECORDED, {"dispute": "现场纠纷"}, held_days=30)
    assert (permanent.keep_until, permanent.pending) == (None, False)
    assert permanent.describe() == "永久保存：004§19(3)3，现场发生矛盾纠纷（现场纠纷）"
    pending = decide(profile("tongbai"), RECORDED, {"case": "案卷 罚12"}, case(filed=None), 30)
    assert (pending.keep_until, pending.pending) == (None, True)
    assert "法律保全" not in pending.reason


# --- ties: which category explains the date ---------------------------------------------------


def test_on_the_same_date_the_case_file_explains_it_rather_than_the_default():
    """fuzhou 004§19(2) filed the day of recording for 2 years: 20 November 2028, the same day
    as 004§19(1)'s 2 years; the page cites the case file."""
    d = decide(profile("fuzhou"), RECORDED, {"case": "案卷 罚12"}, case(filed=RECORDED, years=2))
    assert (d.category, d.keep_until, d.cite) == ("case_file", dt.date(2028, 11, 20), "004§19(2)")
    assert d.reason == f"与执法文书一起形成案卷（案卷 罚12），案卷 {CASE} 归档后保管2年"


def test_of_two_permanent_categories_the_first_the_profile_lists_explains_it():
    """tongbai: a petition (000§20(1)) and an obstruction (000§20(2)) both keep it for the long
    term; 000§20(1) comes first. zhanhe likewise 003§16(1) before 003§16(2)."""
    facts = {"obstruction": "", "petition": "信访件 XF-3"}
    assert decide(profile("tongbai"), RECORDED, facts).cite == "000§20(1)"
    assert decide(profile("zhanhe"), RECORDED, facts).cite == "003§16(1)"


# --- an agency's own category without an article ----------------------------------------------


def test_a_category_an_administrator_added_without_an_article_shows_a_dash():
    """A profile may leave `cite` empty where `note` says the rule is the agency's own (X3)."""
    data = yaml.safe_load((BUILTIN / "chengde.yaml").read_text())
    data["retention"]["categories"].append(
        {
            "code": "local_dispute",
            "name": "现场发生纠纷",
            "keep": "years",
            "amount": 5,
            "when": ["dispute"],
            "note": "办法未列明，本单位规定保存5年",
        }
    )
    d = decide(Profile.model_validate(data), RECORDED, {"dispute": ""})
    assert d.describe() == "保存至 2031-11-20：—，现场发生矛盾纠纷，自录制之日起5年"


# --- only longer decisions replace the kept one ------------------------------------------------


def test_a_recomputed_decision_as_long_as_the_kept_one_may_replace_it():
    """The same date again (e.g. a fact added that keeps no longer) is not a shortening."""
    p = profile("tongbai")
    two_years = decide(p, RECORDED, {})
    same_date = decide(p, RECORDED, {"case": "x"}, case(filed=RECORDED, years=2))
    assert same_date.keep_until == two_years.keep_until
    assert later(two_years, same_date) and later(same_date, two_years)
    petition = decide(p, RECORDED, {"petition": ""})
    assert later(petition, decide(p, RECORDED, {"obstruction": ""}))
    assert not later(two_years, decide(p, dt.date(2026, 11, 19), {}))  # one day shorter
