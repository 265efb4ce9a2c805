from django.apps import AppConfig

# The three functions below import their module when first called (the reaper's pass, a
# timeline drawn): the workflows and the marks' queries are no part of every command's
# start-up (issue 22 §1).


def _escalate_overdue() -> int:
    from avrecords.compliance.workflows import escalate_overdue

    return escalate_overdue()


def _finding_marks(user, recording):
    from avrecords.compliance.marks import finding_marks

    return finding_marks(user, recording)


def _notice_marks(user, recording):
    from avrecords.compliance.notice_marks import notice_marks

    return notice_marks(user, recording)


class ComplianceConfig(AppConfig):
    name = "avrecords.compliance"
    verbose_name = "执法活动与合规"

    def ready(self):
        from avrecords import events, panels, worklist
        from avrecords.compliance import (  # noqa: F401 (notice_check: its job's handler)
            jobs,
            notice_check,
            subscribers,
        )
        from avrecords.jobs import periodic

        # U3, U4: unexplained findings past their window are handed on to supervision
        periodic.register("compliance.escalate_overdue", _escalate_overdue)
        events.PROFILE_ASSIGNED.connect(jobs.on_profile_assigned)  # X3: re-evaluate the unit
        events.RECORDING_STORED.connect(jobs.on_recording_stored)  # U1, U2, M1: evaluate it
        # the activities of a case: the rule cases asks, the case page's part (on first use)
        panels.register_module("avrecords.compliance.panels")
        subscribers.connect()
        # issue 17 §5: findings about a recording are marks on its player's timeline
        from avrecords.recordings import marks

        marks.register("compliance.findings", _finding_marks)
        marks.register("compliance.notice", _notice_marks)  # U5: where the notice was heard
        # 待办, imported on first use: findings, explanations, exemptions, clearances
        worklist.register_module("avrecords.compliance.worklist_sources")
