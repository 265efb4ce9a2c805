"""Every irreversible action asks first (issue 17 §7): its form carries `data-confirm`, which
site.js turns into a "确定要……吗？" question before the form is sent.

Two checks. The templates: every POST form names its action, and each action is on one of
the two lists below, so a new form cannot slip in without someone deciding whether it can be
undone. The pages: each irreversible form, rendered for the person who may use it, carries
the question.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import avrecords

TEMPLATES = Path(avrecords.__file__).parent
FORM_RE = re.compile(r"<form\b[^>]*>", re.S)
CONFIRM_RE = re.compile(r'(?:data|hx)-confirm="([^"]+)"')
ACTION_RE = re.compile(r"""action="(?:\{% url '([\w:]+)'|\{\{ (\w+) \}\})""")

# Actions that cannot be undone: the form must ask first.
IRREVERSIBLE = {
    "access:execute",  # a grant takes effect at once
    "access:withdraw",
    "access:revoke",
    "agency:roster_passwords",  # the initial passwords are downloaded once, then deleted
    "accounts:two_factor_codes",  # new recovery codes: the old ones stop working at once
    "accounts:two_factor_disable",  # the authenticator and the codes are deleted
    "agency:two_factor_reset",  # another person's authenticator and codes are deleted
    "accounts:api_tokens_revoke",  # the systems using the token are cut off at once
    "accounts:api_tokens_rotate",  # the old secret stops working at once
    "accounts:api_tokens_revoke_all",
    "agency:person_password",  # the old password stops working at once
    "cases:close",
    "cases:file",
    "compliance:activity_extension",
    "compliance:clearance_cancel",
    "compliance:clearance_complete",  # disables the account
    "compliance:clearance_handover",
    "equipment:clock_resolve",
    "equipment:custody_accessories",  # "确认遗失（注销）"
    "equipment:device_event",  # loss, theft, retirement
    "fixity:acknowledge",
    "recordings:bookmark_delete",  # htmx asks through hx-confirm
    "retention:change_decide",
    "retention:disposal_decide",  # approving a disposal destroys the originals
    "retention:disposal_submit",
    "retention:hold_approve",
    "supervision:campaign_close",
    "supervision:campaign_draw",
    "supervision:complaint",  # places a legal hold on every recording of the activity
    "supervision:decision_approve",
    "supervision:violation_confirm",
    "stations:token",  # rotate or revoke: the station's old secret stops working at once
    "compliance:notice_reference_delete",  # the reference's files are deleted (U5)
    "redaction:cancel",  # the job stops and what it made is deleted (issue 21 §4)
    "redaction:sign_off",  # the copy may now be provided to a party, a court or the public
}
# Actions that can be corrected afterwards (edited again, asked again, linked again) or that
# only record a word: no question.
REVERSIBLE = {
    "access:approve",
    "agency:roster_apply",  # the previewed roster: each person is edited again on his page
    "agency:setup_agency",  # the agency's name and profile: changed again on the same page
    "agency:setup_later",  # 稍后再说: the checklist stays in the menu
    "cases:link",
    "cases:unlink",
    "compliance:activity_exemption",
    "compliance:activity_link",
    "compliance:exemption_decide",
    "compliance:finding_acknowledge",
    "compliance:finding_explain",
    "equipment:device_issue",
    "equipment:device_return",
    "equipment:event_acknowledge",
    "evidence:disc",
    "inbox:read_all",
    "link_url",  # a case's activities panel: link and unlink
    "unlink_url",
    "logout",
    "pickers:recordings_bulk",  # add to a case, link to an activity: each can be undone
    "accounts:unlock",
    "accounts:two_factor_codes_done",  # only stops showing the new recovery codes
    "accounts:api_tokens",  # a new API token: revoked again on the same page
    "agency:unit_field_squad",
    "agency:unit_move",
    "agency:unit_new",  # a unit made by mistake is retired or renamed
    "agency:unit_profile",
    "agency:unit_reinstate",
    "agency:unit_rename",
    "agency:unit_retire",  # reinstated again; the form still asks first
    "agency:person_transfer",  # starts a transfer's clearance, which can be cancelled
    "recordings:assign",
    # an upload adds originals and changes or removes nothing; choosing the files is the
    # decision (issue 19 §3)
    "recordings:upload",
    "recordings:bookmark_add",
    "recordings:snapshot_take",
    "recordings:case_info",
    "retention:fact",
    "retention:hold_reject",
    "retention:hold_release",
    "retention:item_decide",
    "retention:shorten",
    "supervision:campaign_recheck",
    "supervision:decision_reject",
    "supervision:sample_score",
    "supervision:violation_propose",
    "stations:refusal_handle",  # records how a refused camera was dealt with
    "stations:retire",  # reinstated again and given a new token; the form still asks first
    # the notice check (U5): a reference added is deleted again; 试听检测 only reads; a missed
    # notice's answer and review are words on a finding, as an interruption's
    "compliance:notice_reference_upload",
    "compliance:notice_try",
    "compliance:finding_notice_answer",
    "compliance:finding_notice_review",
    # redacted copies (issue 21 §3): a track is hidden or kept again, a copy made again
    "redaction:track_hide",
    "redaction:rerender",
}
# POST forms sending to their own page (new or edit forms, settings pages): none irreversible.
SELF_POSTING = {
    "access/new.html",
    "agency/roster_import.html",  # the upload only previews
    "agency/setup_first_admin.html",
    "agency/unit_new.html",
    "agency/people_form.html",
    "cases/form.html",
    "compliance/activity_form.html",
    "compliance/activity_import.html",
    "compliance/clearance_new.html",
    "equipment/checks_form.html",
    "equipment/device_form.html",
    "equipment/device_import.html",
    "policies/calendar.html",
    "policies/edit.html",
    "policies/units.html",
    "redaction/request.html",  # 申请脱敏副本: the copy is made only after review and sign-off
    "retention/hold_new.html",
    "supervision/campaign_form.html",
    "supervision/violation_new.html",
    "stations/form.html",  # register or edit a station
    "web/login.html",
    "web/password_change.html",
    "web/two_factor_enrol.html",  # confirms one's own authenticator: enrol again to change it
    "web/two_factor_verify.html",
}


def post_forms():
    """(template, url name or None, opening tag) of every POST form in every template."""
    for path in sorted(TEMPLATES.glob("*/templates/**/*.html")):
        name = path.as_posix().split("/templates/", 1)[1]
        for tag in FORM_RE.findall(path.read_text(encoding="utf-8")):
            if 'method="post"' not in tag.lower():
                continue
            action = ACTION_RE.search(tag)
            yield name, action and (action.group(1) or action.group(2)), tag


def test_every_post_form_is_classified():
    unknown = [
        (name, action)
        for name, action, _ in post_forms()
        if (action is None and name not in SELF_POSTING)
        or (action and action not in IRREVERSIBLE | REVERSIBLE)
    ]
    assert unknown == [], "add each new form to IRREVERSIBLE or REVERSIBLE in this test"


def test_every_irreversible_form_asks_first():
    silent = [
        (name, action)
        for name, action, tag in post_forms()
        if action in IRREVERSIBLE and not CONFIRM_RE.search(tag)
    ]
    assert silent == []


def test_the_questions_are_chinese_and_say_it_cannot_be_undone():
    for _, action, tag in post_forms():
        if action in IRREVERSIBLE:
            question = CONFIRM_RE.search(tag).group(1)
            assert question.startswith("确定要") and "不可撤销" in question, question


def test_every_irreversible_action_is_still_in_a_template():
    used = {action for _, action, _ in post_forms()}
    assert IRREVERSIBLE - used == set()


def form_tags(page: str) -> dict[str, str]:
    tags = {}
    for tag in FORM_RE.findall(page):
        if action := re.search(r'action="([^"]+)"', tag):
            tags[action.group(1)] = tag
    return tags


# (who, page, action): each irreversible form as its user sees it in the permissions world.
RENDERED = [
    ("admin", "/cases/{case}/", "/cases/{case}/close"),
    ("admin", "/access/{approved}/", "/access/{approved}/execute"),
    ("officer", "/access/{req}/", "/access/{req}/withdraw"),
    ("admin", "/equipment/clearances/{clr}/", "/equipment/clearances/{clr}/complete"),
    ("admin", "/equipment/devices/{dev}/", "/equipment/devices/{dev}/event"),
    ("supervisor", "/supervision/campaigns/{draft}/", "/supervision/campaigns/{draft}/draw"),
    ("leader", "/retention/disposals/{submitted}/", "/retention/disposals/{submitted}/decide"),
    ("sysadmin", "/stations/{station}/", "/stations/{station}/token"),
    ("sysadmin", "/notice/references/", "/notice/references/{ref}/delete"),
    ("admin", "/redactions/{redaction}/", "/redactions/{redaction}/cancel"),
    ("admin", "/redactions/{redaction_ready}/", "/redactions/{redaction_ready}/sign-off"),
    (
        "sysadmin",
        "/agency/people/{person}/two-factor/reset",
        "/agency/people/{person}/two-factor/reset",
    ),
]


@pytest.mark.parametrize(("who", "page", "action"), RENDERED)
def test_the_rendered_form_asks_first(world, who, page, action):
    ids = world.ids()
    response = world.client(who).get(page.format(**ids))
    assert response.status_code == 200
    tags = form_tags(response.content.decode())
    tag = tags.get(action.format(**ids))
    assert tag is not None, f"no form for {action} on {page} as {who}: {sorted(tags)}"
    assert CONFIRM_RE.search(tag)
