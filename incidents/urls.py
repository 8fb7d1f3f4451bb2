from django.urls import path

from . import views

urlpatterns = [
    path("", views.report_list, name="report-list-page"),
    # Before "<code>/", which would otherwise take "gui" for a report code.
    path("gui/", views.report_new, name="report-new"),
    path("tra-cuu/", views.report_lookup, name="report-lookup"),
    path("tra-cuu/ma/", views.report_lookup_code, name="report-lookup-code"),
    path("khu-vuc/", views.area_subscribe, name="area-subscribe"),
    path("khu-vuc/atom/", views.area_feed, name="area-feed"),
    path("khu-vuc/xac-nhan/", views.area_confirm, name="area-confirm"),
    path("khu-vuc/huy/", views.area_unsubscribe, name="area-unsubscribe"),
    path("<str:code>/", views.report_detail, name="report-detail-page"),
    path("<str:code>/danh-gia/", views.report_rate, name="report-rate-page"),
    path("<str:code>/mo-lai/", views.report_reopen, name="report-reopen-page"),
    path("<str:code>/theo-doi/", views.report_follow, name="report-follow"),
    path("<str:code>/theo-doi/xac-nhan/", views.report_follow_confirm, name="report-follow-confirm"),
    path("<str:code>/bo-theo-doi/", views.report_unfollow, name="report-unfollow"),
    path("<str:code>/tep/<int:pk>/", views.report_attachment, name="report-attachment"),
    path("<str:code>/tep/<int:pk>/anh-nho/", views.report_attachment_thumbnail, name="report-attachment-thumbnail"),
]
