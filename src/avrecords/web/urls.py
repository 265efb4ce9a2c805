from django.urls import path

from avrecords.web import views_accounts, views_api_tokens, views_two_factor

app_name = "accounts"

urlpatterns = [
    path("account/password/", views_accounts.password_change, name="password_change"),
    path("account/lockouts/", views_accounts.lockouts, name="lockouts"),
    path("account/lockouts/unlock", views_accounts.unlock, name="unlock"),
    # two-factor sign-in (issue 18 §5): the step after the password, and one's own page
    path("login/two-factor/", views_two_factor.verify, name="two_factor_verify"),
    path("account/two-factor/", views_two_factor.overview, name="two_factor"),
    path("account/two-factor/enrol", views_two_factor.enrol, name="two_factor_enrol"),
    path("account/two-factor/recovery-codes", views_two_factor.codes, name="two_factor_codes"),
    path(
        "account/two-factor/recovery-codes.txt",
        views_two_factor.codes_text,
        name="two_factor_codes_text",
    ),
    path(
        "account/two-factor/recovery-codes/done",
        views_two_factor.codes_done,
        name="two_factor_codes_done",
    ),
    path("account/two-factor/disable", views_two_factor.disable, name="two_factor_disable"),
    # personal API tokens (issue 18 §2, §5): a case system calls the API as their maker
    path("account/api-tokens/", views_api_tokens.tokens, name="api_tokens"),
    path("account/api-tokens/revoke", views_api_tokens.revoke, name="api_tokens_revoke"),
    path("account/api-tokens/rotate", views_api_tokens.rotate, name="api_tokens_rotate"),
    path(
        "account/api-tokens/people/<int:pk>/revoke-all",
        views_api_tokens.revoke_all,
        name="api_tokens_revoke_all",
    ),
]
