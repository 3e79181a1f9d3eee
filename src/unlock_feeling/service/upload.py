"""Streaming multipart upload for the service.

The file part goes straight to disk while a byte counter runs, so the size limit stops the upload
as soon as it is crossed: a `Content-Length` above the limit is refused before any byte is read,
and a chunked body is cut off at the first chunk past it (the partial file is deleted). Nothing is
spooled to a temporary folder first, as FastAPI's `UploadFile` would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from unlock_feeling.service.errors import ApiError

MAX_FIELD_BYTES = 1024
MAX_FIELDS = 16
FORM_OVERHEAD = 64 * 1024
"""Bytes allowed for the multipart framing and the small fields on top of the file itself."""


@dataclass
class Upload:
    """What arrived: the stored file (None if the form had no file), the client's name, the fields."""

    path: Path | None = None
    filename: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    size: int = 0


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"upload larger than {limit / (1024 * 1024):g} MB", "file")


def check_length(content_length: str | None, limit: int) -> None:
    """Refuse up front when the client announces more than the limit (plus the form's framing)."""
    if content_length and content_length.isdigit() and int(content_length) > limit + FORM_OVERHEAD:
        raise too_large(limit)


async def receive_upload(content_type: str, body: AsyncIterator[bytes], limit: int,
                         open_target: Callable[[str], Path]) -> Upload:
    """Parse a multipart/form-data body as it arrives. `open_target(filename)` names the file to
    write the part called `file` to; the caller deletes `Upload.path` if anything later fails (on
    an error raised here, the partial file is already deleted)."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ApiError(422, "the upload must be multipart/form-data with a `file` field", "file")

    upload = Upload()
    part: dict[str, object] = {}
    header_field, header_value = bytearray(), bytearray()
    out: list[BinaryIO] = []
    value = bytearray()
    total = 0

    def on_part_begin() -> None:
        part.clear()
        part["headers"] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers = part["headers"]
        assert isinstance(headers, dict)
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        headers = part["headers"]
        assert isinstance(headers, dict)
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        part["name"] = name
        if name == "file" and b"filename" in options:
            if upload.path is not None:
                raise ApiError(422, "send one file per upload", "file")
            upload.filename = options[b"filename"].decode("utf-8", "replace")
            upload.path = open_target(upload.filename)
            out.append(open(upload.path, "wb"))  # noqa: SIM115 - closed in on_part_end or below
        elif len(upload.fields) >= MAX_FIELDS:
            raise ApiError(422, f"more than {MAX_FIELDS} form fields", None)
        value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if out:
            upload.size += end - start
            if upload.size > limit:
                raise too_large(limit)
            out[0].write(data[start:end])
        else:
            value.extend(data[start:end])
            if len(value) > MAX_FIELD_BYTES:
                raise ApiError(422, f"form field {part.get('name')!s} is too long", str(part.get("name") or ""))

    def on_part_end() -> None:
        if out:
            out.pop().close()
        elif part.get("name"):
            upload.fields[str(part["name"])] = value.decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
    })
    try:
        async for chunk in body:
            total += len(chunk)
            if total > limit + FORM_OVERHEAD:
                raise too_large(limit)
            parser.write(chunk)
        parser.finalize()
    except BaseException as e:
        for f in out:
            f.close()
        if upload.path is not None:
            upload.path.unlink(missing_ok=True)
        if isinstance(e, ApiError):
            raise
        if isinstance(e, Exception) and type(e).__module__.startswith("python_multipart"):
            raise ApiError(422, f"malformed multipart body ({e})", "file") from None
        raise
    return upload
