from django.urls import path

from . import views

urlpatterns = [
    path("can-bo/tong-dai/", views.desk, name="hotline-desk"),
    path("can-bo/tong-dai/truc/", views.duty, name="hotline-duty"),
    path("ma-qr/<slug:name>.svg", views.qr_code, name="channel-qr"),
]
