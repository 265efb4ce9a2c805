"""The profile's plain values (X3): its enumerations and the names of facts and features,
without the pydantic models of `policies.schema` (which re-exports them all). Pages, services
and app loading that need only a value import it from here: building the models took every
command 0.1 s at start-up (issue 22 §1).
"""

from __future__ import annotations

from enum import StrEnum


class DeadlineRule(StrEnum):
    HOURS = "hours"  # within N hours of the end (see `counted_from`)
    WORKING_DAYS = "working_days"  # within N working days (official Chinese calendar)
    SAME_DAY = "same_day"  # by the end of the day the activity ended
    AFTER_ACTIVITY = "after_activity"  # at once after each activity: N hours grace


class CountedFrom(StrEnum):
    RECORDING_END = "recording_end"  # the end of each file (000§17 自记录作出之日起)
    ACTIVITY_END = "activity_end"  # the end of the enforcement activity (002§15, 003§13)


class Keep(StrEnum):
    YEARS = "years"
    MONTHS = "months"
    WITH_CASE = "with_case"  # as long as the case file it is filed with
    PERMANENT = "permanent"


# M5: what can happen to a recording that places it in a longer category. A category names
# the facts that place a recording in it (`when`); the default category holds every recording.
# Facts come from the platform (case, evidence, dispute, a legal hold's kind) or are recorded
# by hand on a recording, activity or case (obstruction, mass incident, …).
FACTS = {
    "case": "与执法文书一起形成案卷",
    "evidence": "作为证据使用",
    "dispute": "现场发生矛盾纠纷",
    "mass_incident": "突发性、群体性事件",
    "objection": "当事人有异议",
    "complaint": "被投诉",
    "petition": "信访、上访",
    "reconsideration": "行政复议",
    "litigation": "行政诉讼",
    "obstruction": "逃避、拒绝、阻碍执法或辱骂、殴打执法人员",
    "public_interest": "涉及公共利益、人身安全",
    "major_case": "重大、复杂案件",
    "long_term": "其他需要长期保存的情况",
    "valuable": "到期复核认为有保存价值",
}
# The fact each kind of legal hold records (retention.models.HoldKind)
HOLD_FACTS = {
    "complaint": "complaint",
    "petition": "petition",
    "reconsideration": "reconsideration",
    "litigation": "litigation",
}
FEATURES = {
    "tamper_proof": "文件防删改",
    "encryption": "文件加密",
    "wide_angle": "广角镜头",
    "loop_recording": "循环录像",
    "night_vision": "红外夜视",
    "gps": "GPS定位",
    "wireless_upload": "无线实时上传",
    "explosion_proof": "防爆",
}
STATIONS_NOTE = (
    "规定未明确采集站的监测指标，平台默认：30分钟无心跳视为离线；剩余磁盘低于10%、"
    "待上传文件超过200个、时钟与平台相差超过60秒时提示"
)
