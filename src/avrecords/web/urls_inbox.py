from django.urls import path

from avrecords.web import views_inbox

app_name = "inbox"

urlpatterns = [
    path("todo/", views_inbox.todo, name="todo"),
    path("messages/", views_inbox.messages_list, name="messages"),
    path("messages/<int:pk>/", views_inbox.message_open, name="message_open"),
    path("messages/read-all", views_inbox.messages_read_all, name="read_all"),
]
