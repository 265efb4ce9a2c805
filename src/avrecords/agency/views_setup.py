"""初始设置 pages (issue 18 §4): the first administrator with the one-time setup code, the
checklist with step 1 on it (the agency's name and profile), 稍后再说, and where signing in
lands. The rules are `agency/first_admin.py` and `agency/setup.py`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from avrecords.agency import first_admin, setup
from avrecords.agency.permissions import can_set_up
from avrecords.lib.http import client_ip
from avrecords.lib.refusals import Invalid, NotFound, require
from avrecords.policies.models import PolicyProfile


def _url(name: str) -> str:
    return reverse(name) if name else ""


def _checklist_context(request, *, values=None, field_errors=None) -> dict:
    checklist = setup.checklist()
    for item in (*checklist.steps, *checklist.missing):
        item.href = _url(item.url)
    root = checklist.root
    return {
        "nav": "setup",
        "checklist": checklist,
        "profiles": PolicyProfile.objects.all(),
        "values": values
        or {
            "name": root.name if root else "",
            "code": root.code if root else "",
            "profile": checklist.profile.code if checklist.profile else "",
        },
        "field_errors": field_errors or {},
    }


@login_required
@require_GET
def setup_page(request):
    require(can_set_up(request.user))
    return render(request, "agency/setup_checklist.html", _checklist_context(request))


@login_required
@require_POST
def setup_agency(request):
    require(can_set_up(request.user))
    values = {k: request.POST.get(k, "").strip() for k in ("name", "code", "profile")}
    try:
        root = setup.name_agency(
            request.user, name=values["name"], code=values["code"], profile=values["profile"]
        )
    except Invalid as exc:
        errors = {k: [v] for k, v in exc.fields.items()}
        for reason in exc.reasons:
            errors.setdefault("name", []).append(reason)
        context = _checklist_context(request, values=values, field_errors=errors)
        return render(request, "agency/setup_checklist.html", context, status=422)
    messages.success(request, f"已保存：{root.name}")
    return redirect("agency:setup")


@login_required
@require_POST
def setup_later(request):
    setup.defer(request.user)
    messages.info(request, "已暂缓初始设置，可随时从“系统管理 → 初始设置”继续")
    return redirect("workbench")


class SignInView(LoginView):
    """登录 (the root URLconf's `login`): a system administrator of an installation not yet
    set up lands on the checklist; everyone else, and anyone sent with `next`, as before."""

    def get_default_redirect_url(self):
        if setup.lands_on_setup(self.request.user):
            return reverse("agency:setup")
        return super().get_default_redirect_url()


@require_http_methods(["GET", "POST"])
def first_admin_page(request):
    """Open only while the installation has nobody: afterwards a visitor is sent to sign in
    and a signed-in person finds nothing here (404)."""
    if first_admin.anyone_exists():
        if request.user.is_authenticated:
            raise NotFound()
        return redirect_to_login(request.get_full_path())
    context = {"values": {}, "field_errors": {}, "code_issued": first_admin.code_path().exists()}
    if request.method == "GET":
        return render(request, "agency/setup_first_admin.html", context)
    values = {k: request.POST.get(k, "") for k in ("code", "username", "full_name")}
    context["values"] = values
    if not values["code"].strip():
        context["field_errors"] = {"code": ["请输入服务器上 avrecords init 给出的设置码"]}
        return render(request, "agency/setup_first_admin.html", context, status=400)
    if not first_admin.code_matches(values["code"]):
        context["field_errors"] = {"code": ["设置码不正确（见服务器上的 first-admin-code 文件）"]}
        return render(request, "agency/setup_first_admin.html", context, status=403)
    try:
        user = first_admin.create(
            username=values["username"],
            full_name=values["full_name"],
            password=request.POST.get("password", ""),
            password_again=request.POST.get("password_again", ""),
            via="page",
            ip=client_ip(request),
        )
    except Invalid as exc:
        context["field_errors"] = {k: [v] for k, v in exc.fields.items()}
        return render(request, "agency/setup_first_admin.html", context, status=422)
    messages.success(request, f"已创建系统管理员 {user.full_name}，请登录")
    return redirect("login")
