from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation

from common.inputs import is_storable, unstorable_message

from .views import machine_error


class LanguageMiddleware:
    """Vietnamese unless the person chose another language (cookie set by /i18n/setlang/).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and a
    phone set to English would get English; the service speaks Vietnamese first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.codes = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.codes else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def _refusal(request: HttpRequest, status: int, detail: str, field: str) -> HttpResponse:
    # Runs before the session, authentication and language middlewares: the page is the standalone
    # Vietnamese error page, which needs none of them.
    if (answer := machine_error(request.path_info, status, detail, {field: [detail]})) is not None:
        return answer
    return render(request, "400.html", {"status": status, "message": detail}, status=status)


def body_limit(request: HttpRequest) -> int:
    """The most bytes this request's body may have: more for the report uploads, little for the rest."""
    try:
        name = resolve(request.path_info).url_name
    except Resolver404:
        return settings.REQUEST_MAX_BYTES
    return (
        settings.REQUEST_UPLOAD_MAX_BYTES if name in settings.REQUEST_UPLOAD_URL_NAMES else settings.REQUEST_MAX_BYTES
    )


class RequestGuardMiddleware:
    """First in the chain: refuses, before anything reads it, a body larger than the endpoint takes (413)
    and text the database cannot hold (NUL, lone surrogates) anywhere in the path, query string, headers,
    cookies or form fields (400). JSON bodies are checked by common.api.JSONParser as they are parsed.

    Django reads a body only up to its Content-Length (none: nothing), so checking the declared length
    bounds what is read; a chunked body without one is refused (411) rather than silently dropped.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        meta = request.META
        raw_length = str(meta.get("CONTENT_LENGTH") or "").strip()
        if not raw_length and "chunked" in str(meta.get("HTTP_TRANSFER_ENCODING", "")).lower():
            return _refusal(request, 411, "Yêu cầu phải ghi rõ độ dài nội dung (Content-Length).", "body")
        if raw_length and (not raw_length.isdigit() or len(raw_length) > 15):
            return _refusal(request, 400, "Content-Length không hợp lệ.", "body")
        if raw_length and int(raw_length) > settings.REQUEST_MAX_BYTES and int(raw_length) > body_limit(request):
            limit_mb = body_limit(request) / 1024 / 1024
            return _refusal(request, 413, f"Nội dung gửi lên quá lớn (tối đa {limit_mb:.0f} MB).", "body")
        checks: list[tuple[str, str]] = [("path", request.path_info)]
        checks += [(name, value) for name, value in meta.items() if name.startswith("HTTP_") and isinstance(value, str)]
        checks += [("query", name) for name in request.GET] + _pairs(request.GET)
        checks += [("cookie", name) for name in request.COOKIES] + [("cookie", v) for v in request.COOKIES.values()]
        for name, value in checks:
            if not is_storable(value):
                return _refusal(request, 400, unstorable_message(name), name)
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in self.FORM_TYPES:
            try:
                fields = list(_pairs(request.POST))
            except MultiPartParserError:
                return _refusal(request, 400, "Nội dung multipart không hợp lệ.", "body")
            for name, value in fields:
                field = name if is_storable(name) else "body"
                if not (is_storable(name) and is_storable(value)):
                    return _refusal(request, 400, unstorable_message(field), field)
        return None


def _pairs(query: QueryDict) -> list[tuple[str, str]]:
    return [(name, value) for name, values in query.lists() for value in values]
