"""Request parsers of the API (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES)."""

from __future__ import annotations

import codecs
from typing import IO, Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .inputs import JSON_MAX_DEPTH, is_storable, json_depth, texts_of, unstorable_message


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that refuses, with a 400, what would otherwise be a 500 further on: nesting deeper
    than JSON_MAX_DEPTH (json's recursion), and text the database cannot hold (NUL, lone surrogates)."""

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth(text) > JSON_MAX_DEPTH:
            raise ParseError(f"JSON lồng nhau quá {JSON_MAX_DEPTH} tầng.")
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if not all(is_storable(value) for value in texts_of(data)):
            raise ParseError(unstorable_message("JSON"))
        return data
