"""Reading Bot API parameters from a query string, a JSON body, a urlencoded form or a multipart upload."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .models import bad_request


@dataclass
class Upload:
    """A file sent by the bot in a multipart request."""

    filename: str
    content_type: str | None
    data: bytes


class Params:
    """Typed access to a method's parameters, with Telegram's errors for missing or malformed ones."""

    def __init__(self, values: dict[str, Any], request: web.Request | None = None) -> None:
        self.values = values
        self.request = request

    def client_gone(self) -> bool:
        """The client closed the connection (a killed bot process): nothing can be handed to it."""
        if self.request is None:
            return False
        transport = self.request.transport
        return transport is None or transport.is_closing()

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return cls(values, request)
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not hasattr(part, "filename") or part.name is None:
                    continue
                data = await part.read()  # type: ignore[union-attr]
                if part.filename:
                    values[part.name] = Upload(part.filename, part.headers.get("Content-Type"), bytes(data))
                else:
                    values[part.name] = bytes(data).decode("utf-8", errors="replace")
        else:
            values.update(await request.post())
        return cls(values, request)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def str(self, name: str, required: bool = False, empty_error: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(empty_error or f"{name} is empty")
            return None
        if isinstance(value, Upload):
            raise bad_request(f"{name} must be a string")
        return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)

    def int(self, name: str, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1", "yes")
        return bool(value)

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise bad_request(f"can't parse {name} JSON object") from exc
        return value

    def chat_ref(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request("chat not found") from exc

    def attachment(self, value: Any) -> Upload | str | None:
        """A file given as an upload, as "attach://name", a file_id or a URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            found = self.values.get(value.removeprefix("attach://"))
            if not isinstance(found, Upload):
                raise bad_request("wrong file identifier/HTTP URL specified")
            return found
        return value
