from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "avrecords.compliance"
    verbose_name = "执法活动与合规"

    def ready(self):
        from avrecords import events, worklist
        from avrecords.compliance import (  # noqa: F401 (notice_check: its job's handler)
            jobs,
            notice_check,
            panels,
            subscribers,
        )
        from avrecords.compliance.workflows import escalate_overdue
        from avrecords.jobs import periodic

        # U3, U4: unexplained findings past their window are handed on to supervision
        periodic.register("compliance.escalate_overdue", escalate_overdue)
        events.PROFILE_ASSIGNED.connect(jobs.on_profile_assigned)  # X3: re-evaluate the unit
        events.RECORDING_STORED.connect(jobs.on_recording_stored)  # U1, U2, M1: evaluate it
        panels.register()  # the activities of a case: the rule cases asks, the case page's part
        subscribers.connect()
        # issue 17 §5: findings about a recording are marks on its player's timeline
        from avrecords.compliance.marks import finding_marks
        from avrecords.recordings import marks

        marks.register("compliance.findings", finding_marks)
        from avrecords.compliance.notice_marks import notice_marks

        marks.register("compliance.notice", notice_marks)  # U5: where the notice was heard
        # 待办, imported on first use: findings, explanations, exemptions, clearances
        worklist.register_module("avrecords.compliance.worklist_sources")
