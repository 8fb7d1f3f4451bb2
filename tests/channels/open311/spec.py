"""What GeoReport v2 says an answer looks like, for the tests: the community JSON schemas in
../shared/schemas/open311/ (with their recorded defects worked around, each said where), the element names
and nesting of the specification's text, and schemas of our own where the community wrote none."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
from django.conf import settings
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(settings.BASE_DIR).parent / "shared" / "schemas" / "open311"
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# W3C datetime with the time zone the specification requires (Z or ±hh:mm).
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

# The specification's element names, in its order.
SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
ATTRIBUTE = ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
CREATED = ["service_request_id", "service_notice", "account_id"]
DISCOVERY = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT = ["specification", "url", "changeset", "type", "formats"]

# Defect: the community wrote no schema for errors, the POST answer or discovery; these follow the
# specification's text.
ERRORS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
        "additionalProperties": False,
    },
}
CREATED_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id"],
        "properties": {
            "service_request_id": {"type": "string"},
            "service_notice": {"type": ["string", "null"]},
            "account_id": {"type": ["string", "null"]},
        },
        # Never a token beside the id.
        "additionalProperties": False,
    },
}
DISCOVERY_SCHEMA = {
    "type": "object",
    "required": DISCOVERY,
    "properties": {
        "changeset": {"type": "string"},
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ENDPOINT,
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}},
                },
            },
        },
    },
}


def _registry() -> Registry:
    # requests.json and services.json refer to "request.json" / "service.json" by file name, and the
    # files carry no $schema or $id: registered by name as draft 4.
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4))
        for path in SCHEMAS.glob("*.json")
        if path.name != "swagger.json"
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _w3c(value: object) -> bool:
    if not isinstance(value, str) or not W3C.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# Defect: `format: date-time` (and `uri`) are checked only by a FormatChecker that knows them, and
# jsonschema's knows date-time only with rfc3339-validator installed, so it would pass anything. Ours
# checks the W3C form with a time zone that the specification requires.
FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date-time", raises=ValueError)(_w3c)
FORMATS.checks("uri")(_uri)


def validate(instance: Any, schema: str | dict[str, Any]) -> None:
    """Validate against a community schema (by file name) or one of ours."""
    contents = REGISTRY.contents(schema) if isinstance(schema, str) else schema
    jsonschema.Draft4Validator(contents, registry=REGISTRY, format_checker=FORMATS).validate(instance)
    # Defect: requests.json and services.json put `minItems: 1` inside `items`, where it means nothing,
    # so an empty list passes; where we expect items, the tests say so themselves (`nonempty`).


def nonempty(items: list[Any]) -> list[Any]:
    assert isinstance(items, list) and items, "expected a non-empty list"
    return items


def parsed(response: httpx.Response, fmt: str) -> Any:
    """The body of an answer in `fmt`, its content type checked: JSON, or the root of the XML."""
    assert response.headers["content-type"] == CONTENT_TYPES[fmt], (response.status_code, response.text[:300])
    if fmt == "json":
        return response.json()
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), response.text[:100]
    return etree.fromstring(response.content)


def children(node: etree._Element) -> list[str]:
    return [str(child.tag) for child in node]


def check_error(response: httpx.Response, fmt: str, status: int) -> list[str]:
    """An error answer in the specification's shape; its descriptions."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = parsed(response, fmt)
    if fmt == "json":
        validate(body, ERRORS_SCHEMA)
        return [error["description"] for error in body]
    assert body.tag == "errors" and body.findall("error"), response.text
    for error in body.findall("error"):
        assert children(error) == ["code", "description"]
        assert int(error.findtext("code")) and error.findtext("description")
    return [str(error.findtext("description")) for error in body.findall("error")]


def check_xml_requests(root: etree._Element) -> list[etree._Element]:
    assert root.tag == "service_requests"
    requests: list[etree._Element] = root.findall("request")
    assert len(requests) == len(root)
    for request in requests:
        assert children(request) == REQUEST
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert W3C.match(request.findtext(name) or ""), request.findtext(name)
    return requests
