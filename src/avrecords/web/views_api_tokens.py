"""接口令牌 pages (issue 18 §2, §5): one's own personal API tokens — make one (its secret
shown once), rotate or revoke it — and a system administrator revoking all of a person's,
from that person's page. Every rule lives in agency/api_tokens.py; a person whose role must
use two factors reaches these pages only after his code (web/two_factor_middleware.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from avrecords.agency import api_tokens, two_factor
from avrecords.agency.permissions import manages_everyone
from avrecords.lib.http import back_to, client_ip
from avrecords.lib.refusals import Conflict, Forbidden, Invalid, NotFound
from avrecords.org.models import User

NEW_SECRET_KEY = "avrecords_api_token_new"  # the secret just made, until the page shows it


def _show_once(request, created: api_tokens.Created) -> None:
    request.session[NEW_SECRET_KEY] = {"name": created.token.name, "secret": created.secret}


@login_required
def tokens(request):
    """GET: one's tokens (and the secret just made, this once); POST: a new token."""
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {"name": request.POST.get("name", ""), "days": request.POST.get("days", "")}
        try:
            created = api_tokens.create(
                request.user, values["name"], values["days"], ip=client_ip(request)
            )
        except Invalid as exc:
            errors, status = exc.fields or {"name": exc.message}, 400
        else:
            _show_once(request, created)
            messages.success(request, f"已创建接口令牌“{created.token.name}”")
            return redirect("accounts:api_tokens")
    context = {
        "tokens": api_tokens.tokens_of(request.user),
        "new": request.session.pop(NEW_SECRET_KEY, None),
        "errors": errors,
        "values": values,
        "days_default": api_tokens.VALID_DAYS_DEFAULT,
        "days_max": api_tokens.VALID_DAYS_MAX,
        "password_refused": two_factor.is_required(request.user),
        "api_url": request.build_absolute_uri("/api/v1/"),
    }
    return render(request, "web/api_tokens.html", context, status=status)


@login_required
@require_POST
def revoke(request):
    """One token: one's own, or anybody's for a system administrator (others' look missing)."""
    try:
        token = api_tokens.revoke(request.user, request.POST.get("token"), ip=client_ip(request))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已撤销接口令牌“{token.name}”")
    return redirect(back_to(request, "accounts:api_tokens"))


@login_required
@require_POST
def rotate(request):
    try:
        created = api_tokens.rotate(request.user, request.POST.get("token"), ip=client_ip(request))
    except (Conflict, Forbidden) as exc:
        messages.error(request, exc.message)
    else:
        _show_once(request, created)
        messages.success(request, f"已更换接口令牌“{created.token.name}”，原令牌已失效")
    return redirect("accounts:api_tokens")


@login_required
@require_POST
def revoke_all(request, pk: int):
    """A system administrator, from a person's page: every live token of his."""
    if not manages_everyone(request.user):
        raise Forbidden()
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise NotFound()
    n = api_tokens.revoke_all(request.user, person, ip=client_ip(request))
    messages.success(request, f"已撤销{person}的全部接口令牌（{n} 个）")
    return redirect(back_to(request, reverse("agency:person", args=[pk])))
