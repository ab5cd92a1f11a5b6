"""Reaching a running Home Assistant as a user does: onboarding, login, REST, websocket.

For scripts/develop and the tests that start a real `hass`. It needs only
aiohttp, so that it works whichever Home Assistant release runs the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
import itertools
from typing import Any

import aiohttp

CLIENT_PATH = "/"
ONBOARDING_STEPS = ("user", "core_config", "analytics", "integration")


@dataclass(frozen=True)
class Owner:
    """The owner account that onboarding creates."""

    name: str = "Owner"
    username: str = "owner"
    password: str = "obico-owner"


@dataclass
class HassApi:
    """A session with one Home Assistant, logged in as its owner once onboarded."""

    url: str
    session: aiohttp.ClientSession
    token: str = field(default="", repr=False)

    @property
    def client_id(self) -> str:
        """The OAuth client id: Home Assistant's own URL, as its frontend uses."""
        return f"{self.url}{CLIENT_PATH}"

    async def wait_until_up(self, alive: Callable[[], bool]) -> None:
        """Wait until the HTTP server answers; ``alive()`` False ends the wait.

        Callers bound the wait with asyncio.timeout.
        """
        while alive():
            try:
                async with self.session.get(f"{self.url}/manifest.json") as answer:
                    if answer.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        raise RuntimeError("Home Assistant stopped before it answered")

    async def wait_until_running(self) -> None:
        """Wait until Home Assistant has finished starting; callers bound the wait.

        Its API answers, and onboarding works, while integrations still set
        up. Until it runs it has no handler for SIGTERM either: stopped then,
        it dies on the spot, with what it had yet to save lost.
        """
        while True:
            config = await self.request("GET", "/api/config")
            if config["state"] == "RUNNING":
                return
            await asyncio.sleep(0.5)

    async def onboard_or_log_in(self, owner: Owner) -> None:
        """Finish onboarding with ``owner``, or log in as them if it is done."""
        steps = await self._onboarding_steps()
        if not steps.get("user"):
            code = await self._create_owner(owner)
        else:
            code = await self._log_in(owner)
        await self._take_token(code)
        for step, body in (
            ("core_config", {}),
            ("analytics", {}),
            (
                "integration",
                {"client_id": self.client_id, "redirect_uri": self.client_id},
            ),
        ):
            if not steps.get(step):
                await self.request("POST", f"/api/onboarding/{step}", json=body)

    async def _onboarding_steps(self) -> dict[str, bool]:
        """Which onboarding steps are done; all of them once it is finished.

        Home Assistant serves the onboarding API only while onboarding is
        unfinished. It is set up before the frontend, which ``wait_until_up``
        waited for, so a 404 here means finished, not yet to come.
        """
        async with self.session.get(f"{self.url}/api/onboarding") as answer:
            if answer.status == 404:
                return dict.fromkeys(ONBOARDING_STEPS, True)
            answer.raise_for_status()
            return {step["step"]: step["done"] for step in await answer.json()}

    async def _create_owner(self, owner: Owner) -> str:
        answer = await self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "name": owner.name,
                "username": owner.username,
                "password": owner.password,
                "client_id": self.client_id,
                "language": "en",
            },
        )
        answer.raise_for_status()
        return str((await answer.json())["auth_code"])

    async def _log_in(self, owner: Owner) -> str:
        flow = await self._post_json(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "client_id": self.client_id,
                "username": owner.username,
                "password": owner.password,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(
                f"could not log in as {owner.username}: {result.get('errors')}"
            )
        return str(result["result"])

    async def _take_token(self, code: str) -> None:
        answer = await self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        answer.raise_for_status()
        self.token = (await answer.json())["access_token"]

    async def _post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(f"{self.url}{path}", json=body) as answer:
            answer.raise_for_status()
            result: dict[str, Any] = await answer.json()
            return result

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the REST API as the owner; the decoded JSON answer."""
        async with self.session.request(
            method,
            f"{self.url}{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            **kwargs,
        ) as answer:
            body = await answer.text()
            if answer.status >= 400:
                raise RuntimeError(f"{method} {path}: {answer.status} {body}")
            return await answer.json() if body else None

    async def content(self, path: str) -> bytes:
        """GET a path as the owner; the body, as it came (a picture, say)."""
        async with self.session.get(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        ) as answer:
            body = await answer.read()
            if answer.status >= 400:
                raise RuntimeError(f"GET {path}: {answer.status} {body[:200]!r}")
            return body

    async def flow(
        self, path: str, start: dict[str, Any], *steps: dict[str, Any]
    ) -> dict[str, Any]:
        """Walk a data entry flow: start it, then submit each step's form."""
        result: dict[str, Any] = await self.request("POST", path, json=start)
        for step in steps:
            if result["type"] != "form":
                raise RuntimeError(f"{path}: expected a form, got {result}")
            result = await self.request(
                "POST", f"{path}/{result['flow_id']}", json=step
            )
        return result

    async def entries(self, domain: str) -> list[dict[str, Any]]:
        """The config entries of ``domain``."""
        entries: list[dict[str, Any]] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return entries

    async def wait_for_state(
        self,
        entity_id: str,
        accept: Callable[[dict[str, Any] | None], bool],
        poll: float = 0.5,
    ) -> dict[str, Any] | None:
        """Poll an entity's state until ``accept(state)``; callers bound the wait."""
        while True:
            state = await self.state(entity_id)
            if accept(state):
                return state
            await asyncio.sleep(poll)

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """The state of an entity, or None before it exists."""
        async with self.session.get(
            f"{self.url}/api/states/{entity_id}",
            headers={"Authorization": f"Bearer {self.token}"},
        ) as answer:
            if answer.status == 404:
                return None
            answer.raise_for_status()
            state: dict[str, Any] = await answer.json()
            return state

    @asynccontextmanager
    async def websocket(self) -> AsyncGenerator[WebSocket]:
        """A websocket API connection, authenticated with the owner's token."""
        async with self.session.ws_connect(f"{self.url}/api/websocket") as ws:
            connection = WebSocket(ws)
            await connection.authenticate(self.token)
            reader = asyncio.create_task(connection.read())
            try:
                yield connection
            finally:
                reader.cancel()
                with suppress(asyncio.CancelledError):
                    await reader


class WebSocket:
    """Commands and event subscriptions over one websocket API connection.

    One task reads every message and hands each to the command or the
    subscription its id names, so that events keep coming while a command waits.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap a connection that is not authenticated yet."""
        self._ws = ws
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future[Any]] = {}
        self._events: dict[int, list[dict[str, Any]]] = {}

    async def authenticate(self, token: str) -> None:
        """Answer the server's auth_required with ``token``."""
        hello = await self._ws.receive_json()
        if hello.get("type") != "auth_required":
            raise RuntimeError(f"websocket: expected auth_required, got {hello}")
        await self._ws.send_json({"type": "auth", "access_token": token})
        answer = await self._ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise RuntimeError(f"websocket: authentication failed: {answer}")

    async def read(self) -> None:
        """Dispatch every message until the connection closes."""
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            self._dispatch(message.json())
        closed = ConnectionError("the websocket connection closed")
        for answer in self._answers.values():
            if not answer.done():
                answer.set_exception(closed)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") == "event" and message["id"] in self._events:
            self._events[message["id"]].append(message["event"])
        elif (answer := self._answers.pop(message.get("id", -1), None)) is not None:
            if message.get("success"):
                answer.set_result(message.get("result"))
            else:
                answer.set_exception(RuntimeError(f"websocket: {message}"))

    async def command(self, command: str, **data: Any) -> Any:
        """Send a command; its result, or RuntimeError with the server's error."""
        message_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._answers[message_id] = answer
        await self._ws.send_json({"id": message_id, "type": command, **data})
        return await answer

    async def subscribe_events(self, event_type: str) -> list[dict[str, Any]]:
        """Subscribe to ``event_type``; the list that its events are appended to."""
        message_id = next(self._ids)
        events: list[dict[str, Any]] = []
        self._events[message_id] = events
        answer = asyncio.get_running_loop().create_future()
        self._answers[message_id] = answer
        await self._ws.send_json(
            {"id": message_id, "type": "subscribe_events", "event_type": event_type}
        )
        await answer
        return events
