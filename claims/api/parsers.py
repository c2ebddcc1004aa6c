"""Request body parsers: DRF's, with the limits an endpoint open to the
internet needs. Each answers bad input with a 4xx and a message.

- Depth: Python's json module recurses once per level of nesting, so
  100,000 nested arrays raise RecursionError (a 500). The depth is counted
  first, without recursion, and more than MAX_JSON_DEPTH levels is a 400.
- Size: for JSON and form bodies DRF reads ``request.body``, where Django
  applies DATA_UPLOAD_MAX_MEMORY_SIZE (claims.api.exceptions answers 413).
  A multipart body goes to Django's parser as a stream, and that limit
  leaves out file parts, which would be spooled to disk; the API takes no
  files, so here the limit covers a multipart body whole.
"""

from __future__ import annotations

import itertools
import re

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json

# Far deeper than any body the API accepts (its deepest is an object of lists).
MAX_JSON_DEPTH = 64

# A JSON string, escapes included (unrolled so that long strings do not backtrack).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text, counted without recursion.

    Exact for valid JSON. In text that is not, the count is exact up to the
    first error, which is as far as json.loads reads before refusing it.
    """
    # Brackets inside strings do not nest; drop the strings, then everything but brackets.
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def refuse_a_body_over_the_limit(parser_context: dict) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    request = parser_context.get("request")
    if limit is None or request is None:
        return
    meta = request.META
    try:
        length = int(meta.get("CONTENT_LENGTH", meta.get("HTTP_CONTENT_LENGTH", 0)))
    except (TypeError, ValueError):
        return  # DRF then reads no body at all
    if length > limit:
        raise BodyTooLarge(body_too_large(limit))


def body_too_large(limit: int) -> str:
    return f"The request body is too large (at most {limit} bytes)."


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser with a nesting limit."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        body = stream.read()
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}: {exc.reason}.") from None
        # No text with fewer opening brackets than the limit can nest deeper: skip the count.
        if text.count("[") + text.count("{") > self.max_depth and json_depth(text) > self.max_depth:
            raise ParseError(f"JSON nested too deeply (at most {self.max_depth} levels).")
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:  # JSONDecodeError, and ints over Python's 4,300-digit limit
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:  # not reached past the depth check; kept so it can never be a 500
            raise ParseError(f"JSON nested too deeply (at most {self.max_depth} levels).") from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's MultiPartParser with DATA_UPLOAD_MAX_MEMORY_SIZE on the whole body, file parts included."""

    def parse(self, stream, media_type=None, parser_context=None):
        refuse_a_body_over_the_limit(parser_context or {})
        return super().parse(stream, media_type, parser_context)
