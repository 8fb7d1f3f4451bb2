"""The citizen's own reports, under the account's pages (/tai-khoan/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("phan-anh-cua-toi/", views.my_reports, name="my-reports"),
]
