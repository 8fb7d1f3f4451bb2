from django.urls import path

from . import views

urlpatterns = [
    path("", views.alert_list_page, name="alert-list-page"),
    path("quan-ly/", views.staff_list, name="alert-staff-list"),
    path("quan-ly/tao/", views.staff_create, name="alert-staff-create"),
    path("quan-ly/<int:pk>/", views.staff_detail, name="alert-staff-detail"),
    path("quan-ly/<int:pk>/sua/", views.staff_edit, name="alert-staff-edit"),
    path("quan-ly/<int:pk>/gui-duyet/", views.staff_submit, name="alert-staff-submit"),
    path("quan-ly/<int:pk>/duyet/", views.staff_approve, name="alert-staff-approve"),
    path("quan-ly/<int:pk>/huy/", views.staff_cancel, name="alert-staff-cancel"),
    path("<int:pk>/", views.alert_page, name="alert-page"),
]
