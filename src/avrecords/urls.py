from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from avrecords.agency import views_setup
from avrecords.api import api
from avrecords.web import views_search, views_workbench

urlpatterns = [
    path("", views_workbench.workbench_page, name="workbench"),
    path("search/", views_search.search, name="search"),
    # a system administrator of an installation not yet set up lands on /setup/ (issue 18 §4)
    path("login/", views_setup.SignInView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # resumable uploads (tus, issue 19 §3): plain views, before the API's own routes
    path("api/v1/uploads/", include("avrecords.api_uploads")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("avrecords.web.urls")),
    path("", include("avrecords.web.urls_pickers")),  # pickers and bulk actions (issue 17 §6)
    path("", include("avrecords.web.urls_inbox")),  # before compliance: /todo/ is the one inbox
    path("", include("avrecords.recordings.urls")),
    path("", include("avrecords.fixity.urls")),
    path("", include("avrecords.policies.urls")),
    path("", include("avrecords.compliance.urls")),
    path("", include("avrecords.equipment.urls")),
    path("", include("avrecords.cases.urls")),
    path("", include("avrecords.redaction.urls")),  # 脱敏副本 pages (issue 21 §3)
    path("", include("avrecords.access.urls")),
    path("", include("avrecords.access.urls_register")),
    path("", include("avrecords.evidence.urls")),
    path("", include("avrecords.retention.urls")),
    path("", include("avrecords.supervision.urls")),
    path("", include("avrecords.agency.urls")),
    path("", include("avrecords.stations.urls")),  # 采集站 pages (issue 19 §1, §4)
    path("", include("avrecords.audit.urls")),
]
