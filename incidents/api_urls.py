from django.urls import path

from . import api

urlpatterns = [
    path("captcha", api.CaptchaView.as_view(), name="captcha"),
    path("categories/", api.CategoryListView.as_view(), name="categories"),
    path("places/", api.PlaceSearchView.as_view(), name="places"),
    path("reports/", api.ReportCollectionView.as_view(), name="reports"),
    path("me/reports/", api.MyReportListView.as_view(), name="api-me-reports"),
    path("reports/nearby", api.NearbyView.as_view(), name="reports-nearby"),
    path("reports/lookup", api.ReportLookupView.as_view(), name="reports-lookup"),
    path("reports/<str:code>/", api.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<str:code>/start", api.StartView.as_view(), name="report-start"),
    path("reports/<str:code>/answer", api.AnswerView.as_view(), name="report-answer"),
    path("reports/<str:code>/approve", api.ApproveView.as_view(), name="report-approve"),
    path("reports/<str:code>/return", api.ReturnView.as_view(), name="report-return"),
    path("reports/<str:code>/reject", api.RejectView.as_view(), name="report-reject"),
    path("reports/<str:code>/reassign", api.ReassignView.as_view(), name="report-reassign"),
    path("reports/<str:code>/merge", api.MergeView.as_view(), name="report-merge"),
    path("reports/<str:code>/redact", api.RedactView.as_view(), name="report-redact"),
    path("reports/<str:code>/visibility", api.VisibilityView.as_view(), name="report-visibility"),
    path("reports/<str:code>/location", api.LocationView.as_view(), name="report-location"),
    path("reports/<str:code>/rate", api.RateView.as_view(), name="report-rate"),
    path("reports/<str:code>/reopen", api.ReopenView.as_view(), name="report-reopen"),
    path("reports/<str:code>/support", api.SupportView.as_view(), name="report-support"),
    path("reports/<str:code>/follow", api.FollowView.as_view(), name="report-follow-api"),
    path("reports/<str:code>/follow/push", api.FollowPushView.as_view(), name="report-follow-push-api"),
]
