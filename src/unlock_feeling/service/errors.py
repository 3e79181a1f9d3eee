"""The service's one error shape. Every error response, whatever raised it, is JSON:

    {"error": "<one-line message>", "status": 422, "parameter": "window"}

`parameter` is the API name of the form field or query parameter at fault (null when none is)."""

from __future__ import annotations

from typing import Any, Optional


class ApiError(Exception):
    """An error answered with `status` and the one error shape."""

    def __init__(self, status: int, message: str, parameter: Optional[str] = None,
                 headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status, self.message, self.parameter, self.headers = status, message, parameter, headers


def error_body(status: int, message: str, parameter: Optional[str] = None) -> dict[str, Any]:
    return {"error": message, "status": status, "parameter": parameter}
