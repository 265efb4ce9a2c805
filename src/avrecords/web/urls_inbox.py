from django.urls import path

from avrecords.web import views_inbox, views_menu_counts

app_name = "inbox"

urlpatterns = [
    path("todo/", views_inbox.todo, name="todo"),
    path("messages/", views_inbox.messages_list, name="messages"),
    path("messages/<int:pk>/", views_inbox.message_open, name="message_open"),
    path("messages/read-all", views_inbox.messages_read_all, name="read_all"),
    # the numbers beside the menu's entries, asked by every page once loaded (issue 22)
    path("menu/counts", views_menu_counts.menu_counts, name="menu_counts"),
]
