from django.apps import AppConfig

# The two functions below import their module when first called (a playback asked, a
# timeline drawn): the review and scoring code is no part of every command's start-up
# (issue 22 §1).


def _reviewing(user, recording) -> str:
    from avrecords.supervision.review import reviewing

    return reviewing(user, recording)


def _note_marks(user, recording):
    from avrecords.supervision.marks import note_marks

    return note_marks(user, recording)


class SupervisionConfig(AppConfig):
    name = "avrecords.supervision"
    verbose_name = "执法监督"

    def ready(self) -> None:
        from avrecords import worklist
        from avrecords.access import grants
        from avrecords.jobs import periodic
        from avrecords.supervision import candidates, subscribers

        subscribers.connect()  # the violation register hears findings and lost devices
        # 待办, imported on first use: candidates, decisions, campaigns, reviews
        worklist.register_module("avrecords.supervision.worklist_sources")
        # E5, 004§23(5): clearances past their date become violation candidates
        periodic.register("supervision.clearance_overdue", candidates.from_overdue_clearances)
        # 004§10, 004§22: a supervisor plays what he reviews, where the profile says so
        grants.REVIEWING.append(_reviewing)
        # issue 17 §5: reviewers' timed notes are marks on the recording's timeline
        from avrecords.recordings import marks

        marks.register("supervision.notes", _note_marks)
