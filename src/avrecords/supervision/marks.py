"""Reviewers' timed notes on a recording's timeline (issue 17 §5, S2), registered in
`apps.py` with `recordings.marks`: every saved note of a score on a sample the person may see."""

from __future__ import annotations

from avrecords.recordings.marks import Mark
from avrecords.supervision.models import Sample, ScoreNote


def note_marks(user, recording) -> list[Mark]:
    samples = Sample.objects.visible_to(user).values("pk")
    notes = (
        ScoreNote.objects.filter(recording=recording, score__sample__in=samples)
        .select_related("score__reviewer", "score__sample__campaign")
        .order_by("at_seconds", "pk")
    )
    return [
        Mark(
            note.at_seconds,
            "note",
            f"{note.text}（{note.score.sample.campaign.number} "
            f"{note.score.reviewer.display_name}）",
        )
        for note in notes
    ]
