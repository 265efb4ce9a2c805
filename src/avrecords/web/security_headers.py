"""Headers on every page, JSON and media answer (issue 15, row 13).

- `Cache-Control: no-store`: pages, API answers and media are per user and often
  confidential; no browser or proxy cache may keep them (static files, served before this
  by WhiteNoise, keep their long cache).
- `Content-Security-Policy`: scripts only from our own origin, plus inline scripts that carry
  this request's nonce (`request.csp_nonce`, e.g. `<script nonce="{{ request.csp_nonce }}">`);
  no CDN, no plug-ins, no framing, forms only to ourselves. Inline style attributes stay
  allowed (many pages use them; they cannot run code).
HSTS and the other Django security headers come from SecurityMiddleware (settings.py).
"""

from __future__ import annotations

import secrets

CSP = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "media-src 'self' blob:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        response.setdefault("Content-Security-Policy", CSP.format(nonce=request.csp_nonce))
        return response
