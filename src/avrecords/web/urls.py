from django.urls import path

from avrecords.web import views_accounts

app_name = "accounts"

urlpatterns = [
    path("account/password/", views_accounts.password_change, name="password_change"),
    path("account/lockouts/", views_accounts.lockouts, name="lockouts"),
    path("account/lockouts/unlock", views_accounts.unlock, name="unlock"),
]
