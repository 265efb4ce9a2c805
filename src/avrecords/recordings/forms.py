"""Forms of the recordings pages (M4): a recording's case information."""

from django import forms

from avrecords.recordings.textsearch import tidy

CASE_FIELDS = ("case_number", "party", "place")


class CaseInfoForm(forms.Form):
    """案件编号, 当事人, 地点: free text, tidied (NFKC, single spaces) so searches find it."""

    case_number = forms.CharField(label="案件编号", max_length=64, required=False)
    party = forms.CharField(label="当事人", max_length=200, required=False)
    place = forms.CharField(label="地点", max_length=200, required=False)

    def clean(self):
        data = super().clean()
        return {field: tidy(data.get(field)) for field in CASE_FIELDS}
