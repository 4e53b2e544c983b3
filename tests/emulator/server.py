"""The Bot API emulator: an aiohttp server on loopback answering like api.telegram.org, plus fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .driver import Driver
from .methods import REGISTRY, SENDING_METHODS, BotApi, Described
from .models import ApiError, too_many_requests
from .params import Params, Upload

DEFAULT_TOKEN = "123456789:AAEmulatorTestTokenForTheBotApi_0000"
ERROR_TEXTS = {
    400: "Bad Request: injected error",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


HTML_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
            "</center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")


@dataclass
class Fault:
    """An injected failure for the next `count` calls of a method (or of every method with "*")."""

    method: str
    count: int
    code: int = 500
    description: str | None = None
    retry_after: int | None = None
    chat_id: int | None = None
    # error, html (a proxy's HTML error page instead of the Bot API's JSON), drop / drop_after (close the
    # connection before / after executing), delay
    action: str = "error"
    delay: float = 0.0
    until: float | None = None  # a window (loop time): every call until then, whatever `count`

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.until is not None:
            if asyncio.get_running_loop().time() >= self.until:
                return False
        elif self.count <= 0:
            return False
        if self.method not in ("*", method.lower()):
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)


@dataclass
class RateLimit:
    messages: int
    per: float
    chat_id: int | None
    across_chats: bool
    sent: dict[str | None, deque[float]] = field(default_factory=dict)


@dataclass
class CallRecord:
    """One request the bot made: method, parameters (uploads as their sizes), HTTP status."""

    method: str
    params: dict[str, Any]
    status: int


class BotAPIEmulator(Driver):
    """Telegram's Bot API on 127.0.0.1 for the real aiogram client, with a driver for the user's side.

    Point aiogram at it with `AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))` or `emu.make_bot()`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "support_test_bot",
        bot_name: str = "Поддержка",
    ) -> None:
        super().__init__(token, bot_username, bot_name)
        self.api = BotApi(self)
        self.calls: Counter[str] = Counter()  # method name -> number of requests (failed ones included)
        self.failures: Counter[str] = Counter()  # method name -> requests answered with an error
        self.requests: list[CallRecord] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.bot_settings: dict[tuple[str, str], Any] = {}
        self.chat_actions: list[tuple[int, str, int | None]] = []
        self.pinned: dict[int, list[int]] = {}
        self.faults: list[Fault] = []
        self.rate_limits: list[RateLimit] = []
        self.polls_waiting = 0
        self.closing = False
        self.allow_http_webhook = True  # Telegram wants HTTPS; on loopback plain HTTP is allowed
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_max_connections = 40
        self.webhook_last_error_date: int | None = None
        self.webhook_last_error_message: str | None = None
        self.webhook_retry_delay = 0.05  # first retry after a failed webhook delivery; doubles up to 1 s
        self._webhook_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._last_activity = 0.0
        self.base_url = ""

    # --- lifecycle --------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        bound = server.sockets[0].getsockname()  # type: ignore[union-attr]
        self.base_url = f"http://{host}:{bound[1]}"
        self._last_activity = asyncio.get_running_loop().time()
        return self.base_url

    async def stop(self) -> None:
        self.closing = True
        self.wake_pollers()
        self.set_webhook(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def make_bot(self, **kwargs: Any) -> Any:
        """An aiogram Bot talking to this emulator (close it with `await bot.session.close()`)."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        session = AiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.token, session=session, **kwargs)

    # --- fault injection --------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        code: int = 429,
        *,
        retry_after: int | None = None,
        count: int = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> Fault:
        """The next `count` calls of `method` ("*" for any) answer with this error instead of working.

        429 gets `parameters.retry_after` (default 1) and "Too Many Requests: retry after N"; 5xx bursts
        are `fail_next("sendMessage", 500, count=5)`. `chat_id` limits the fault to calls for one chat.
        """
        if code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        fault = Fault(method.lower(), count, code, description or ERROR_TEXTS.get(code, "Error"), retry_after, chat_id)
        self.faults.append(fault)
        return fault

    def drop_next(self, method: str, count: int = 1, after_executing: bool = False) -> Fault:
        """Close the connection of the next `count` calls without an answer (the client sees a network error).

        `after_executing=True`: the call takes effect first and only the answer is lost (a retry duplicates).
        """
        fault = Fault(method.lower(), count, action="drop_after" if after_executing else "drop")
        self.faults.append(fault)
        return fault

    def fail_html_next(self, method: str, code: int = 502, count: int = 1) -> Fault:
        """The next `count` calls get the HTML error page a proxy in front of Telegram gives (nginx's «502 Bad
        Gateway»), not a Bot API answer: the client cannot decode it."""
        fault = Fault(method.lower(), count, code, action="html")
        self.faults.append(fault)
        return fault

    def outage(self, seconds: float, mode: str = "500", method: str = "*", chat_id: int | None = None,
               retry_after: int = 1) -> Fault:
        """Every call of `method` ("*": any but getUpdates and getMe) fails for `seconds` from now, then works again:
        `mode` "500" (or another status), "html" (an HTML 502 page), "drop" (the connection closed unanswered),
        "drop_after" (closed after the call took effect); "429" asks to retry after `retry_after` seconds."""
        until = asyncio.get_running_loop().time() + seconds
        if mode in ("html", "drop", "drop_after"):
            fault = Fault(method.lower(), 0, 502, action=mode, until=until, chat_id=chat_id)
        else:
            code = int(mode)
            description = f"Too Many Requests: retry after {retry_after}" if code == 429 else ERROR_TEXTS.get(code)
            fault = Fault(method.lower(), 0, code, description or "Error", retry_after if code == 429 else None,
                          chat_id, until=until)
        self.faults.append(fault)
        return fault

    def delay_next(self, method: str, seconds: float, count: int = 1) -> Fault:
        """Answer the next `count` calls only after `seconds` (then normally)."""
        fault = Fault(method.lower(), count, action="delay", delay=seconds)
        self.faults.append(fault)
        return fault

    def limit_rate(self, messages: int, per: float, chat_id: int | None = None, across_chats: bool = False) -> None:
        """Flood control on sending methods: more than `messages` in `per` seconds gets a 429 with the wait.

        Counted per chat (only `chat_id` if given), or over all chats together with `across_chats=True`.
        """
        self.rate_limits.append(RateLimit(messages, per, chat_id, across_chats))

    def clear_faults(self) -> None:
        self.faults.clear()
        self.rate_limits.clear()

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        for fault in self.faults:
            if fault.until is not None and fault.method == "*" and method in ("getUpdates", "getMe"):
                continue  # an outage of everything the bot asks Telegram to do: updates still come
            if fault.matches(method, chat_id):
                fault.count -= 1
                return fault
        return None

    def _check_rate(self, method: str, chat_id: Any) -> None:
        if method.lower() not in SENDING_METHODS or not self.rate_limits:
            return
        now = asyncio.get_running_loop().time()
        for limit in self.rate_limits:
            if limit.chat_id is not None and str(limit.chat_id) != str(chat_id):
                continue
            key = None if limit.across_chats else str(chat_id)
            window = limit.sent.setdefault(key, deque())
            while window and window[0] <= now - limit.per:
                window.popleft()
            if len(window) >= limit.messages:
                raise too_many_requests(max(1, math.ceil(window[0] + limit.per - now)))
            window.append(now)

    # --- polling and webhook state ----------------------------------------------------------------------

    def updates_changed_event(self) -> asyncio.Event:
        return self._updates_changed

    def wake_pollers(self) -> None:
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    def drop_pending_updates(self) -> None:
        self._queue.clear()

    def set_webhook(self, url: str | None, secret: str | None = None, max_connections: int = 40) -> None:
        self.webhook_url, self.webhook_secret, self.webhook_max_connections = url, secret, max_connections
        if url is None:
            self.webhook_last_error_date = self.webhook_last_error_message = None
            if self._webhook_task is not None:
                self._webhook_task.cancel()
                self._webhook_task = None
        elif self._webhook_task is None and not self.closing:
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        self.wake_pollers()

    async def _webhook_loop(self) -> None:
        """Deliver the queue to the webhook: up to max_connections at once, one at a time per chat (so each
        chat's updates arrive in order), retrying a failed update with a growing delay before later ones
        of its chat."""
        busy: dict[int | None, asyncio.Task[None]] = {}
        async with aiohttp.ClientSession() as session:
            while self.webhook_url:
                changed = self._updates_changed
                for pending in list(self._queue):
                    if len(busy) >= self.webhook_max_connections:
                        break
                    if pending.kind not in self.allowed_updates:
                        self._queue.remove(pending)
                        continue
                    key = pending.chat_key
                    if key in busy:
                        continue
                    busy[key] = asyncio.create_task(self._deliver_with_retries(session, pending))
                wake = asyncio.ensure_future(changed.wait())
                try:
                    await asyncio.wait({wake, *busy.values()}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    wake.cancel()
                    for key, task in list(busy.items()):
                        if task.done():
                            del busy[key]
                    if not self.webhook_url:
                        for task in busy.values():
                            task.cancel()

    async def _deliver_with_retries(self, session: aiohttp.ClientSession, pending: Any) -> None:
        delay = self.webhook_retry_delay
        while self.webhook_url and not await self._post_update(session, pending.data):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        with contextlib.suppress(ValueError):
            self._queue.remove(pending)

    async def _post_update(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        assert self.webhook_url is not None
        try:
            async with session.post(
                self.webhook_url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(10)
            ) as r:
                self.deliveries[update["update_id"]] += 1
                if not 200 <= r.status < 300:
                    self._webhook_error(f"Wrong response from the webhook: {r.status} {r.reason}")
                    return False
                await self._run_webhook_reply(r)
                return True
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._webhook_error(f"Connection refused ({type(exc).__name__})")
            return False

    def _webhook_error(self, message: str) -> None:
        self.webhook_last_error_date = self.now()
        self.webhook_last_error_message = message

    async def _run_webhook_reply(self, response: aiohttp.ClientResponse) -> None:
        """A webhook may answer with a method call in its body; Telegram executes it."""
        values: dict[str, Any] = {}
        if response.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await response.json()
                values = body if isinstance(body, dict) else {}
        elif response.content_type == "multipart/form-data":
            reader = aiohttp.MultipartReader(response.headers, response.content)
            async for part in reader:
                if isinstance(part, aiohttp.BodyPartReader) and part.name:
                    data = await part.read()
                    values[part.name] = Upload(part.filename, None, bytes(data)) if part.filename else data.decode()
        name = values.get("method")
        if isinstance(name, str) and name:
            self.calls[REGISTRY.get(name.lower(), (name,))[0]] += 1
            with contextlib.suppress(ApiError):
                await self.api.call(name, Params(values))

    # --- HTTP ---------------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        name = request.match_info["method"]
        canonical = REGISTRY.get(name.lower(), (name,))[0]
        self.calls[canonical] += 1
        if canonical != "getUpdates":
            self._last_activity = asyncio.get_running_loop().time()
        params: Params | None = None
        try:
            params = await Params.from_request(request)
            fault = self._take_fault(canonical, params.raw("chat_id"))
            if fault is not None and fault.action == "delay":
                await asyncio.sleep(fault.delay)
            elif fault is not None and fault.action == "error":
                raise ApiError(fault.code, fault.description or "Error", fault.retry_after)
            elif fault is not None and fault.action == "html":
                self.failures[canonical] += 1
                self.requests.append(CallRecord(canonical, _summary(params), fault.code))
                return web.Response(status=fault.code, text=HTML_502, content_type="text/html")
            if fault is None or fault.action != "drop":
                self._check_rate(canonical, params.raw("chat_id"))
                result = await self.api.call(canonical, params)
            if fault is not None and fault.action.startswith("drop"):
                self.failures[canonical] += 1
                assert request.transport is not None
                request.transport.close()
                return web.Response()
        except ApiError as error:
            self.failures[canonical] += 1
            self.requests.append(CallRecord(canonical, _summary(params), error.code))
            return web.json_response(error.payload(), status=error.code, dumps=_dumps)
        self.requests.append(CallRecord(canonical, _summary(params), 200))
        if isinstance(result, Described):
            return web.json_response({"ok": True, "result": result.result, "description": result.description})
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        stored = self.files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        self.calls["<download>"] += 1
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # --- test helpers -------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[CallRecord]:
        return [record for record in self.requests if record.method.lower() == method.lower()]

    async def wait_until_polling(self, timeout: float = 5.0) -> None:
        """Wait until the bot is waiting in a long getUpdates call (it has started and taken what was queued)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.polls_waiting == 0:
            if loop.time() > deadline:
                raise AssertionError("the bot is not polling")
            await asyncio.sleep(0.01)

    async def deliver_to(self, url: str, update_id: int, secret_token: str | None = None) -> int:
        """POST an update (again) to any webhook URL, e.g. a second bot instance; returns the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=self.updates[update_id], headers=headers) as r,
        ):
            self.deliveries[update_id] += 1
            return r.status

    async def wait_for_deliveries(self, update_id: int, times: int = 1, timeout: float = 5.0) -> None:
        """Wait until an update has been handed to the bot (by getUpdates or a webhook POST) `times` times."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.deliveries[update_id] < times:
            if loop.time() > deadline:
                raise AssertionError(f"update {update_id} delivered {self.deliveries[update_id]} times, not {times}")
            await asyncio.sleep(0.01)

    async def settle(self, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until every update was taken and confirmed and the bot made no call for `quiet` seconds.

        For "the bot stays silent" checks: after settle(), `emu.sent(...)` is what the bot answered.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            idle = loop.time() - self._last_activity
            if not self.pending_update_count and idle >= quiet:
                return
            if loop.time() > deadline:
                raise AssertionError(f"the bot did not settle in {timeout}s ({self.pending_update_count} pending)")
            await asyncio.sleep(max(quiet - idle, 0.02) if not self.pending_update_count else 0.02)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _summary(params: Params | None) -> dict[str, Any]:
    if params is None:
        return {}
    return {k: f"<{len(v.data)} bytes>" if isinstance(v, Upload) else v for k, v in params.values.items()}
