"""GeoReport v2 answers in its two formats: XML (required by the specification) and JSON (its Spark
mapping: lists are top-level arrays). The specification's element names and nesting are written once
here, as the item names of its lists; its errors are a list of code + description in either format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET  # noqa: S405 (we only write XML, never parse it)

from django.http import HttpResponse
from django.utils import timezone

PATH_PREFIX = "/open311/"
FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# The element each list's items take in XML (the specification's "⇊ / ↴" nesting).
ITEM_NAMES = {
    "service_requests": "request",
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Error(Exception):
    """A refusal in the specification's shape: HTTP `status`, and one (code, description) per problem."""

    def __init__(self, status: int, *errors: tuple[int, str] | str, headers: Mapping[str, str] | None = None):
        super().__init__(status, errors)
        self.status = status
        self.errors = [error if isinstance(error, tuple) else (status, error) for error in errors]
        self.headers = dict(headers or {})


def w3c(moment: datetime | None) -> str | None:
    """A W3C datetime with its time zone (the service's: +07:00), to the second."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, item in value.items():
            node.append(_element(key, item))
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            node.append(_element(ITEM_NAMES[tag], item))
    elif value is not None:
        node.text = _text(value)
    return node


def render(
    fmt: str, root: str, data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """`data` (a list, or a mapping for a single document) under the XML element `root`, or as JSON."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    else:
        body = XML_DECLARATION + ET.tostring(_element(root, data), encoding="utf-8", xml_declaration=False)
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES["json" if fmt == "json" else "xml"])
    for name, value in (headers or {}).items():
        response[name] = value
    # Answers depend on the format in the path and on query parameters only; errors are not to be cached.
    if status >= 400:
        response["Cache-Control"] = "no-store"
    return response


def error_render(fmt: str, error: Open311Error) -> HttpResponse:
    body = [{"code": code, "description": description} for code, description in error.errors]
    return render(fmt, "errors", body, status=error.status, headers=error.headers)


def path_format(path: str) -> str:
    """The format a path asks for by its extension; XML (the required format) for anything else."""
    return "json" if path.rstrip("/").endswith(".json") else "xml"


def is_open311_path(path: str) -> bool:
    return path.startswith(PATH_PREFIX)


def path_error_response(path: str, status: int, description: str) -> HttpResponse:
    """A refusal made outside our views (an unknown path, an oversized body, the database away), in
    the format the path asks for: what geo's error handlers and middleware answer under PATH_PREFIX."""
    return error_render(path_format(path), Open311Error(status, description))
