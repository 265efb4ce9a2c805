"""The Chinese words of policies' codes (issue 17 §7); profile codes are looked up by name."""

from avrecords.lib import labels
from avrecords.policies.models import PolicyProfile


def _profile_name(code: str) -> str | None:
    return PolicyProfile.objects.filter(code=code).values_list("name", flat=True).first()


labels.register_lookup(labels.PROFILE, _profile_name)

labels.register(
    labels.ACTION,
    {
        "policy.create": "新建执法策略",
        "policy.update": "修改执法策略",
        "policy.assign": "指定单位适用策略",
        "calendar.set": "设置工作日与节假日",
        "calendar.remove": "删除节假日调整",
    },
)
labels.register(
    labels.OBJECT,
    {
        "policies.unitpolicy": "单位适用策略",
        "policies.holidayoverride": "节假日调整",
        "policies.policyprofile": "执法策略",
    },
)
