from django.urls import path

from avrecords.access import views_register as views

app_name = "registers"
urlpatterns = [
    path("registers/", views.index, name="index"),
    path("registers/<str:register>/", views.register_list, name="list"),
    path("registers/<str:register>/export", views.register_export, name="export"),
]
