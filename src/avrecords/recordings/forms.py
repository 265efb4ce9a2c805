"""Forms of the recordings pages (M4): a recording's case information; 指派 (M1)."""

from django import forms

from avrecords.recordings.textsearch import tidy

CASE_FIELDS = ("case_number", "party", "place")


class CaseInfoForm(forms.Form):
    """案件编号, 当事人, 地点: free text, tidied (NFKC, single spaces) so searches find it."""

    case_number = forms.CharField(
        label="案件编号", max_length=64, required=False, help_text="已立案的填写，便于归入案卷"
    )
    party = forms.CharField(
        label="当事人", max_length=200, required=False, help_text="被检查单位或当事人姓名"
    )
    place = forms.CharField(label="地点", max_length=200, required=False, help_text="执法地点")

    def clean(self):
        data = super().clean()
        return {field: tidy(data.get(field)) for field in CASE_FIELDS}


class AssignmentForm(forms.Form):
    """指派: the person (or the device whose holder it was), and the start time by hand, an
    administrator binds a 待指派 recording with (issue 19 §5)."""

    officer = forms.ModelChoiceField(
        label="执法人员",
        queryset=None,
        required=False,
        empty_label="请选择……",
        help_text="拍摄该记录的执法人员；不选时按设备在开始时间的领用人指派",
    )
    device = forms.ModelChoiceField(
        label="设备",
        queryset=None,
        required=False,
        empty_label="（按文件名或不指定）",
        help_text="拍摄所用的执法记录仪；不指定时按文件名中的设备编号识别",
    )
    started_at = forms.DateTimeField(
        label="开始时间",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"],
        error_messages={"invalid": "无法识别的开始时间"},
        help_text="改动后记为“人工指定”，原时间和来源记入审计日志",
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(f) for f in ("officer", "device", "started_at")):
            raise forms.ValidationError("请选择执法人员或设备，或填写开始时间")
        return data

    def __init__(self, *args, people, devices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = people
        self.fields["officer"].error_messages["invalid_choice"] = "所选执法人员不在您的管辖范围内"
        self.fields["officer"].label_from_instance = lambda u: f"{u.display_name}（{u.unit.name}）"
        self.fields["device"].queryset = devices
        self.fields["device"].error_messages["invalid_choice"] = "所选设备不在您的管辖范围内"
