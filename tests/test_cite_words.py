"""Article references as people cite them (issue 17 §7): pages show 第二十一条, never `000§21`;
the regulation's name is in the reference's title (and written out where it is not obvious).
Stored texts keep their codes; the words are made when shown."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template

from avrecords.compliance.models import Finding, FindingKind
from avrecords.lib import citations
from avrecords.policies.models import PolicyProfile
from avrecords.policies.services import assign
from avrecords.retention.models import RecordingRetention
from avrecords.retention.services import reclassify
from tests.conftest import client_for
from tests.rows import make

RAW = re.compile(r"\d{3}§\d+")
TONGBAI = "《行政执法音像记录设备配备办法》"
CHENGDE = "《执法音像记录设备的使用、管理和监督规则》"


def _render(source: str, **context) -> str:
    return Template("{% load zh %}" + source).render(Context(context))


def _text(html: str) -> str:
    """What a person reads: a reference's span is part of its sentence."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


# --- the filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("000§21", "第二十一条"),
        ("004§19(3)1", "第十九条第（三）项第1目"),
        ("001§6(3)", "第六条第（三）项"),
        ("000§10", "第十条"),
        ("002§105", "第一百零五条"),
    ],
)
def test_a_reference_reads_as_people_cite_it(code, words):
    html = _render("{{ c|cite }}", c=code)
    assert re.fullmatch(
        rf'<span class="cite" title="《[^》]+》{re.escape(words)}">{words}</span>', html
    )


def test_the_title_names_the_regulation_the_file_number_identifies():
    assert f'title="{TONGBAI}第二十一条"' in _render("{{ c|cite }}", c="000§21")
    assert f'title="{CHENGDE}第六条第（三）项"' in _render("{{ c|cite }}", c="001§6(3)")
    named = _render('{{ c|cite:"named" }}', c="000§21")
    assert _text(named) == f"{TONGBAI}第二十一条"


def test_several_references_are_joined_and_each_regulation_is_named_once_when_they_differ():
    assert _text(_render("{{ c|cite }}", c="000§13,000§14")) == "第十三条、第十四条"
    assert _text(_render("{{ c|cite }}", c="004§18, 004§23(5)")) == "第十八条、第二十三条第（五）项"
    assert _text(_render("{{ c|cite }}", c="000§13,001§15")) == (
        f"{TONGBAI}第十三条、{CHENGDE}第十五条"
    )


def test_references_inside_a_sentence_are_written_out_and_the_rest_is_kept_and_escaped():
    html = _render("{{ t|cites_in }}", t="保存至 2028-12-05；000§18，一般执法记录 <b>（001§28(3)）")
    assert (
        _text(html) == "保存至 2028-12-05；第十八条，一般执法记录 &lt;b&gt;（第二十八条第（三）项）"
    )
    assert html.count('class="cite"') == 2
    assert citations.cites_in("超过允许的 120 秒（000§10）") == "超过允许的 120 秒（第十条）"


def test_text_without_a_reference_is_unchanged():
    for text in ("第七条", "没有条款的说明 2026-12-05 12:00", "规定未列明条款"):
        assert _render("{{ t|cites_in }}", t=text) == text
        assert citations.cites_in(text) == text
    assert citations.article_text("第七条") == "第七条"
    assert _render("{{ c|cite }}", c="") == ""


# --- pages --------------------------------------------------------------------------------


@pytest.fixture
def tongbai(org):
    assign(org.sysadmin, org.bureau, PolicyProfile.objects.get(code="tongbai"))


def test_a_finding_shows_its_article_and_the_references_in_its_summary_in_words(org, tongbai):
    Finding.objects.create(
        key="test:gap",
        kind=FindingKind.GAP,
        unit=org.squad1,
        officer=org.officer,
        summary="09:45–09:50 记录中断（不得断续记录，000§15）",
        cite="000§15",
    )
    page = client_for(org.admin).get("/findings/").content.decode()
    assert "记录中断（不得断续记录，第十五条）" in _text(page)
    assert f'title="{TONGBAI}第十五条"' in page
    assert not RAW.search(_text(page))
    assert Finding.objects.get().cite == "000§15"  # stored as the code


def test_the_retention_box_says_why_in_words(org, tongbai):
    rec = make(org, "A.MP4", at=(2026, 11, 20, 10, 0))
    reclassify([rec], sync_store=False)
    page = client_for(org.admin).get(f"/recordings/{rec.pk}/").content.decode()
    box = _text(page.split('id="retention"', 1)[1].split("</div>", 1)[0])
    assert "保存至 2028-11-20：第十八条，一般执法记录" in box
    assert not RAW.search(box)
    assert RecordingRetention.objects.get(recording=rec).cite == "000§18"


def test_violation_kinds_are_offered_with_their_articles_in_words(org, supervisor):
    page = client_for(supervisor).get("/supervision/violations/new").content.decode()
    assert "私自使用设备或资料" in page
    assert f'title="{CHENGDE}第二十七条第（六）项"' in page
    assert "第二十七条第（六）项" in _text(page)
    assert not RAW.search(_text(page))
