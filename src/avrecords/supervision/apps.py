from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "avrecords.supervision"
    verbose_name = "执法监督"

    def ready(self) -> None:
        from avrecords.access import grants
        from avrecords.jobs import periodic
        from avrecords.supervision import candidates, review, subscribers, worklist_sources

        subscribers.connect()  # the violation register hears findings and lost devices
        worklist_sources.register()  # 待办: candidates, decisions, campaigns, reviews
        # E5, 004§23(5): clearances past their date become violation candidates
        periodic.register("supervision.clearance_overdue", candidates.from_overdue_clearances)
        # 004§10, 004§22: a supervisor plays what he reviews, where the profile says so
        grants.REVIEWING.append(review.reviewing)
        # issue 17 §5: reviewers' timed notes are marks on the recording's timeline
        from avrecords.recordings import marks
        from avrecords.supervision.marks import note_marks

        marks.register("supervision.notes", note_marks)
