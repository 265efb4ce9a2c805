"""合规问题 on the recording page (issue 17 §4): the officer explains a gap where he watches
the recording, instead of looking for it in 待办 (U3); others see the finding, not the form."""

from __future__ import annotations

import pytest

from avrecords.compliance.models import FindingStatus
from avrecords.recordings.models import Recording
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _after_the_gap(gap) -> Recording:
    return Recording.objects.get(pk=gap.detail["after"])


def test_the_officer_explains_the_gap_on_the_recording_page_and_returns_to_it(org, gap):
    recording = _after_the_gap(gap)
    page = f"/recordings/{recording.pk}/"
    officer = client_for(org.officer)
    body = officer.get(page).content.decode()
    assert 'id="findings"' in body and "09:20:00–09:30:00 记录中断" in body
    assert f'action="/findings/{gap.pk}/explain"' in body and "存储空间不足" in body
    response = officer.post(
        f"/findings/{gap.pk}/explain",
        {"reason": "low_battery", "text": "电量耗尽，更换电池后继续", "next": page},
    )
    assert response.status_code == 302 and response["Location"] == page
    gap.refresh_from_db()
    assert gap.status == FindingStatus.EXPLAINED
    after = officer.get(page).content.decode()
    assert "已说明" in after and f'action="/findings/{gap.pk}/explain"' not in after


def test_the_unit_head_sees_the_finding_without_the_officers_form(org, head1, gap):
    body = client_for(head1).get(f"/recordings/{_after_the_gap(gap).pk}/").content.decode()
    assert "09:20:00–09:30:00 记录中断" in body
    assert f'action="/findings/{gap.pk}/explain"' not in body


def test_an_explanation_never_leaves_the_site(org, gap):
    response = client_for(org.officer).post(
        f"/findings/{gap.pk}/explain",
        {
            "reason": "low_battery",
            "text": "电量耗尽，更换电池后继续",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/todo/"
