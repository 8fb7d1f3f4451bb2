from django.urls import path

from audit import views as audit_views

from . import staff_views as views

urlpatterns = [
    path("", views.staff_home, name="staff-home"),
    path("phan-anh/", views.report_list, name="staff-report-list"),
    path("phan-anh/<str:code>/", views.report_detail, name="staff-report-detail"),
    path("phan-anh/<str:code>/bat-dau/", views.start, name="staff-report-start"),
    path("phan-anh/<str:code>/tra-loi/", views.answer, name="staff-report-answer"),
    path("phan-anh/<str:code>/duyet/", views.approve, name="staff-report-approve"),
    path("phan-anh/<str:code>/tra-lai/", views.return_answer, name="staff-report-return"),
    path("phan-anh/<str:code>/tu-choi/", views.reject, name="staff-report-reject"),
    path("phan-anh/<str:code>/chuyen/", views.reassign, name="staff-report-reassign"),
    path("phan-anh/<str:code>/gop/", views.merge, name="staff-report-merge"),
    path("phan-anh/<str:code>/sua-noi-dung/", views.redact, name="staff-report-redact"),
    path("phan-anh/<str:code>/cong-khai/", views.visibility, name="staff-report-visibility"),
    path("phan-anh/<str:code>/khan/", views.urgent, name="staff-report-urgent"),
    path("phan-anh/<str:code>/vi-tri/", views.location, name="staff-report-location"),
    path("phan-anh/<str:code>/tep/<int:pk>/an/", views.attachment_hide, name="staff-attachment-hide"),
    path("nhat-ky/", audit_views.audit_log, name="staff-audit-log"),
]
