from django.urls import URLPattern, re_path

from . import views

FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,20})$"


urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, views.service_list, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, views.requests, name="open311-requests"),
    re_path(r"^requests/(?P<code>[^/]+?)" + FMT, views.request_detail, name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token_detail, name="open311-token"),
]
