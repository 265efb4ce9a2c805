"""Pages about one's own account and sign-in locks (issue 15, rows 5 and 13); every rule lives
in web/login_throttle.py and web/accounts.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import password_validation, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from avrecords.lib.http import back_to, client_ip
from avrecords.lib.refusals import require
from avrecords.web import accounts, login_throttle


@login_required
def lockouts(request):
    require(login_throttle.can_unlock(request.user))
    return render(
        request,
        "web/lockouts.html",
        {
            "lockouts": login_throttle.current_lockouts(),
            "account_limit": settings.AVRECORDS_LOGIN_FAILURE_LIMIT,
            "address_limit": settings.AVRECORDS_LOGIN_ADDRESS_FAILURE_LIMIT,
            "lockout_minutes": settings.AVRECORDS_LOGIN_LOCKOUT_MINUTES,
        },
    )


@login_required
@require_POST
def unlock(request):
    require(login_throttle.can_unlock(request.user))
    try:
        cleared = login_throttle.unlock(
            request.user,
            username=request.POST.get("username", "").strip(),
            address=request.POST.get("address", "").strip(),
            ip=client_ip(request),
        )
    except login_throttle.UnlockRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已解除锁定（清除失败记录 {cleared} 条）")
    return redirect(back_to(request, "accounts:lockouts"))  # the person's page posts its own


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        accounts.change_password(
            request.user, form.cleaned_data["new_password1"], ip=client_ip(request)
        )
        if request.user.must_change_password:  # his own now, not the administrator's (issue 18)
            request.user.must_change_password = False
            request.user.save(update_fields=["must_change_password"])
        update_session_auth_hash(request, request.user)  # stay signed in here, nowhere else
        messages.success(request, "登录密码已修改")
        return redirect("recordings:list")
    rules = password_validation.password_validators_help_texts()
    return render(request, "web/password_change.html", {"form": form, "password_rules": rules})
