from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("demo/receiver/", views.demo_receiver, name="demo_receiver"),
]
