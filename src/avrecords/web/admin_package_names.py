"""Chinese names for the package models the emergency admin shows (issue 18 §1).

django-otp's two-factor devices (TOTP and recovery codes) come with English names that are not
marked for translation, so no locale file can reach them: their app, model, field and
fieldset names and the admin's column and search help are given here and put in place when
the site registers the package's admin classes (`EmergencyAdminSite.register`). People see
Chinese words, never English ones or codes. Their secret keys and QR codes stay hidden
(settings.OTP_ADMIN_HIDE_SENSITIVE_DATA).
"""

from __future__ import annotations

APPS = {"otp_totp": "双因素登录：动态口令", "otp_static": "双因素登录：恢复码"}

MODELS = {
    "otp_totp.totpdevice": "动态口令设备",
    "otp_static.staticdevice": "恢复码设备",
    "otp_static.statictoken": "恢复码",
}

# field name: (name, help text)
FIELDS = {
    "user": ("所属人员", "该设备所属的人员"),
    "name": ("名称", "设备的名称"),
    "confirmed": ("已启用", "设备已确认，可用于登录"),
    "created_at": ("启用时间", "设备首次登记的时间"),
    "last_used_at": ("最近使用时间", "最近一次用该设备登录的时间"),
    "throttling_failure_timestamp": ("最近失败时间", "最近一次验证码错误的时间，用于限制连续尝试"),
    "throttling_failure_count": ("连续失败次数", "连续输错验证码的次数"),
    "key": ("密钥", "十六进制编码的密钥"),
    "step": ("时间步长（秒）", "每个验证码的有效时长"),
    "t0": ("起始时间", "开始计时的 Unix 时间"),
    "digits": ("位数", "验证码的位数"),
    "tolerance": ("允许误差（步）", "允许早于或晚于当前时间的步数"),
    "drift": ("时钟偏差（步）", "已知的手机时钟偏差"),
    "last_t": ("最近验证的时间步", "下一个验证码须在其后"),
    "token": ("恢复码", ""),
    "device": ("所属设备", ""),
}

FIELDSETS = {
    "Identity": "设备",
    "Timestamps": "时间",
    "Configuration": "设置",
    "State": "状态",
    "Throttling": "错误次数限制",
}

SEARCH_HELP = "按用户名或电子邮箱查找"


def translate(model, admin_class):
    """Puts the Chinese names of `model` (a package model listed above) in place and returns
    its admin class with Chinese fieldset titles and search help; other models unchanged."""
    app = model._meta.app_config
    if app.label not in APPS:
        return admin_class
    app.verbose_name = APPS[app.label]
    for each in app.get_models():  # with the models only shown inline (recovery codes)
        each._meta.verbose_name = each._meta.verbose_name_plural = MODELS[each._meta.label_lower]
        for field in each._meta.get_fields():
            if getattr(field, "concrete", False) and field.name in FIELDS:
                field.verbose_name, field.help_text = FIELDS[field.name]

    class Chinese(admin_class):
        search_help_text = SEARCH_HELP

        def get_fieldsets(self, request, obj=None):
            return [
                (FIELDSETS.get(title, title), options)
                for title, options in super().get_fieldsets(request, obj)
            ]

    Chinese.__name__ = Chinese.__qualname__ = admin_class.__name__
    Chinese.__module__ = admin_class.__module__
    return Chinese
