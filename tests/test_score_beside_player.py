"""Scoring a sampled activity beside the player (issue 17 §5, S2): the activity's recordings play
on the scoring page for a reviewer who may play them, the timed notes are a list that seeks the
player, and a saved note is a mark on the recording's timeline."""

from __future__ import annotations

import pytest

from avrecords.supervision import campaigns
from tests.conftest import client_for
from tests.rows import grant, make
from tests.test_supervision_campaigns import TONGBAI_ITEMS, activity, campaign
from tests.test_supervision_campaigns import world as world  # noqa: F401  (the fixture)


@pytest.fixture
def scored(world):  # noqa: F811
    """A sampled inspection with 张伟's two recordings (three minutes and one) linked to it."""
    first = make(world, "3501001_350211_20260912100500_0001.MP4", at=(2026, 9, 12, 10, 5))
    second = make(world, "3501001_350211_20260912101000_0002.MP4", at=(2026, 9, 12, 10, 10))
    for rec, seconds in ((first, 180), (second, 60)):
        rec.duration_seconds = seconds
        rec.save()
    a = activity(world, 12)
    c = campaign(world, ratio=1.0)
    campaigns.draw_sample(world.supervisor, c)
    return first, second, c.samples.get(activity=a)


def _page(user, sample) -> str:
    return client_for(user).get(f"/supervision/samples/{sample.pk}/").content.decode()


def _score(user, sample, **notes):
    form = {f"item_{code}": "pass" for code in TONGBAI_ITEMS} | notes
    return client_for(user).post(f"/supervision/samples/{sample.pk}/score", form)


def test_the_reviewer_who_may_play_scores_beside_the_player(world, scored):  # noqa: F811
    first, second, sample = scored
    grant(world.supervisor, first, second, kind="view")
    page = _page(world.supervisor, sample)
    assert f'src="/recordings/{first.pk}/media"' in page  # the first recording is playing
    assert f'data-choose="{second.pk}"' in page  # the other one can be chosen
    assert "在当前时间添加备注" in page and "recordings/score_player.js" in page
    assert "0.5×" in page and "上一帧" in page
    assert f'name="notes_{first.pk}"' in page and "保存评分" in page


def test_a_reviewer_who_may_not_play_gets_the_view_request_instead(world, scored):  # noqa: F811
    first, _, sample = scored
    page = _page(world.supervisor, sample)
    assert "/media" not in page and "在当前时间添加备注" not in page
    assert f"/access/new?kind=view&amp;recording={first.pk}" in page
    assert "您暂不能播放本次执法活动的音像记录" in page


def test_saved_notes_are_a_list_that_seeks_the_player(world, scored):  # noqa: F811
    first, second, sample = scored
    grant(world.supervisor, first, second, kind="view")
    saved = _score(
        world.supervisor,
        sample,
        **{f"notes_{first.pk}": "02:13 未告知\n2:50 未亮证", f"notes_{second.pk}": "00:30 中断"},
    )
    assert saved.status_code == 302
    page = _page(world.supervisor, sample)
    assert f'data-seek="133" data-recording="{first.pk}"' in page and "未告知" in page
    assert f'data-seek="30" data-recording="{second.pk}"' in page and "中断" in page
    # the storage format is unchanged: the box shows the saved lines as typed
    assert "02:13 未告知\n02:50 未亮证" in page


def test_a_saved_timed_note_is_a_mark_on_the_recordings_timeline(world, scored):  # noqa: F811
    first, second, sample = scored
    grant(world.supervisor, first, second, kind="view")
    _score(world.supervisor, sample, **{f"notes_{first.pk}": "02:13 未告知"})
    supervisor = client_for(world.supervisor)
    marks = supervisor.get(f"/api/v1/recordings/{first.pk}/marks").json()
    (note,) = [m for m in marks if m["kind"] == "note"]
    assert note["at_seconds"] == 133 and "未告知" in note["text"]
    page = supervisor.get(f"/recordings/{first.pk}/").content.decode()
    assert 'class="mark mark-note"' in page and 'data-seek="133' in page
    # the recording's own officer plays it, but sees no spot-check he is not a party to
    officer_marks = client_for(world.officer).get(f"/api/v1/recordings/{first.pk}/marks").json()
    assert not [m for m in officer_marks if m["kind"] == "note"]
    # one who may not play sees no marks at all
    assert client_for(world.admin).get(f"/api/v1/recordings/{first.pk}/marks").status_code == 403


def test_a_wrong_note_shows_the_form_again_with_the_player(world, scored):  # noqa: F811
    first, second, sample = scored
    grant(world.supervisor, first, second, kind="view")
    response = _score(world.supervisor, sample, **{f"notes_{first.pk}": "9:99 未告知"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "无法识别的时间点“9:99”" in body and f'src="/recordings/{first.pk}/media"' in body
