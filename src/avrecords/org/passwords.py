"""Password rules beyond Django's own (issue 15, row 13).

Django's Chinese translation lacks the minimum-length message (users would read English), so
that one validator is ours; the others (similar to the user's details, common, all digits)
are Django's, in Chinese. The minimum is AVRECORDS_PASSWORD_MIN_LENGTH.
"""

from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoMinimum


class MinimumLengthValidator(DjangoMinimum):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"你的密码必须包含至少 {self.min_length} 个字符。"
