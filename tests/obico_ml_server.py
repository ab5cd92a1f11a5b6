"""Loopback stand-ins for the Obico ML API and for a plain frame host.

FakeObicoMlServer behaves as DESIGN section 2 says of the real ``obico-ml-api``:
it checks the token first, fetches the ``img`` URL itself with the same
timeouts and retries, decodes it with Pillow and answers scripted detections.
Everything crosses real sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
from dataclasses import dataclass
import io
import socket
import time

import aiohttp
from aiohttp import web
from PIL import Image

FETCH_TIMEOUT = aiohttp.ClientTimeout(sock_connect=0.1, sock_read=5)
FETCH_ATTEMPTS = 4  # the first try and 3 retries
FETCH_BACKOFF = 0.05
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})

MODES = frozenset(
    {
        "normal",
        "garbage",
        "wrong_shape",
        "nan",
        "huge",
        "deeply_nested",
        "legacy",
        "error_500",
        "reject_422",
        "raw",
    }
)
# FastAPI's answer when the required query parameter is missing.
MISSING_IMG_BODY = {
    "detail": [
        {
            "loc": ["query", "img"],
            "msg": "field required",
            "type": "value_error.missing",
        }
    ]
}


@dataclass
class RecordedRequest:
    """One ``/p/`` call as the fake server saw it."""

    index: int
    authorization: str | None
    img: str | None
    arrived_at: float
    started_at: float | None = None  # when it got a worker, if it did
    ended_at: float | None = None
    status: int | None = None


class _FetchError(Exception):
    """The frame could not be fetched or decoded; the text is the reason."""


class FakeObicoMlServer:
    """A real aiohttp server on 127.0.0.1 that answers like the Obico ML API."""

    def __init__(self, *, token: str | None = None, workers: int = 1) -> None:
        """Prepare the server; ``workers`` requests are served at once."""
        self.token = token
        self._mode = "normal"
        self.inference_delay = 0.0
        # Under a frozen test clock the event loop's timers only fire when the
        # test moves time, so tests that freeze time set this to 0.
        self.fetch_backoff = FETCH_BACKOFF
        self.raw_body = "[]"  # what mode "raw" answers, as application/json
        self.requests: list[RecordedRequest] = []
        self.fetched: list[bytes] = []
        self.max_in_flight_seen = 0
        self.request_arrived = asyncio.Event()  # set by every /p/ call
        self.frame_fetched = asyncio.Event()  # set by every fetched frame
        self.url = ""
        self._workers = asyncio.Semaphore(workers)
        self._stopping = asyncio.Event()
        self._script: deque[list[list[object]]] = deque()
        self._in_flight = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def mode(self) -> str:
        """How the server answers ``/p/`` once the token and ``img`` checked out.

        "normal": fetch, decode, then the next scripted detections.
        After a successful fetch: "garbage" (HTML), "wrong_shape"
        ({"predictions": []}), "nan" (a NaN confidence), "huge" (JSON over
        1 MB), "deeply_nested" (JSON nested 200,000 deep, under 1 MB), "raw"
        (``raw_body`` as JSON text).
        Without fetching: "legacy" (200 []), "error_500", "reject_422".
        """
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        # A typo here would silently test the normal path.
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self._mode = mode

    def script(self, *frames: list[list[object]]) -> None:
        """Queue the detections of the next successful calls, one list per call."""
        self._script.extend(frames)

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1, on a free port unless told which (for a restart)."""
        self._stopping.clear()
        app = web.Application()
        app.router.add_get("/hc/", self._health)
        app.router.add_get("/p/", self._predict)
        self._session = aiohttp.ClientSession(timeout=FETCH_TIMEOUT)
        self._runner, self.url = await _start_app(app, port)

    async def stop(self) -> None:
        """Close the listening socket, the handlers and the fetch session."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _predict(self, request: web.Request) -> web.Response:
        record = RecordedRequest(
            index=len(self.requests),
            authorization=request.headers.get("Authorization"),
            img=request.query.get("img"),
            arrived_at=time.monotonic(),
        )
        self.requests.append(record)
        self.request_arrived.set()
        self._in_flight += 1
        self.max_in_flight_seen = max(self.max_in_flight_seen, self._in_flight)
        try:
            response = await self._answer(record)
        finally:
            self._in_flight -= 1
        record.status = response.status
        record.ended_at = time.monotonic()
        return response

    async def _answer(self, record: RecordedRequest) -> web.Response:
        if self.token is not None and record.authorization != f"Bearer {self.token}":
            return web.Response(status=401, body=b"", content_type="text/html")
        if record.img is None or self.mode == "reject_422":
            return web.json_response(MISSING_IMG_BODY, status=422)
        if self.mode == "legacy":
            return web.json_response([])
        if self.mode == "error_500":
            return web.Response(status=500, text="Internal Server Error")
        async with self._workers:
            record.started_at = time.monotonic()
            try:
                self.fetched.append(await self._fetch_image(record.img))
                self.frame_fetched.set()
            except _FetchError as err:
                message = f"Failed to get image {record.img}: {err}"
                return web.json_response(
                    {"detections": [], "message": message}, status=400
                )
            # Cut short when the server stops, as a killed worker would be.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.inference_delay)
            return self._inference_answer()

    async def _fetch_image(self, url: str) -> bytes:
        assert self._session is not None
        reason = "no attempt made"
        for attempt in range(FETCH_ATTEMPTS):
            if attempt:
                await asyncio.sleep(self.fetch_backoff)
            try:
                async with self._session.get(url) as response:
                    if response.status >= 500:
                        reason = f"{response.status} {response.reason}"
                        continue
                    if response.status >= 400:
                        raise _FetchError(f"{response.status} {response.reason}")
                    body = await response.read()
            except (TimeoutError, aiohttp.ClientError) as err:
                reason = f"{type(err).__name__}: {err}"
                continue
            await asyncio.get_running_loop().run_in_executor(None, _decode, body)
            return body
        raise _FetchError(reason)

    def _inference_answer(self) -> web.Response:
        if self.mode == "garbage":
            return web.Response(text="<html>oops</html>", content_type="text/html")
        if self.mode == "wrong_shape":
            return web.json_response({"predictions": []})
        if self.mode == "nan":
            return web.Response(
                text='{"detections": [["failure", NaN, [10, 20, 30, 40]]]}',
                content_type="application/json",
            )
        if self.mode == "raw":
            return web.Response(text=self.raw_body, content_type="application/json")
        if self.mode == "deeply_nested":
            # Far under the 1 MB cap, far over any JSON parser's nesting limit.
            depth = 200_000
            return web.Response(
                text='{"detections": ' + "[" * depth + "]" * depth + "}",
                content_type="application/json",
            )
        if self.mode == "huge":
            padding = "x" * (1_048_576 + 1)
            return web.json_response({"detections": [], "padding": padding})
        detections = self._script.popleft() if self._script else []
        return web.json_response({"detections": detections})


def _decode(body: bytes) -> None:
    """Decode like the real server's OpenCV: JPEG and PNG only."""
    try:
        with Image.open(io.BytesIO(body)) as image:
            image_format = image.format
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise _FetchError(f"cannot decode image: {err}") from err
    if image_format not in ACCEPTED_FORMATS:
        raise _FetchError(f"cannot decode image: unsupported format {image_format}")


@dataclass
class _Route:
    body: bytes
    content_type: str
    status: int
    delay: float


class FrameHost:
    """A plain web server on 127.0.0.1 serving test frames at chosen paths."""

    def __init__(self) -> None:
        """Prepare an empty host; ``hits`` counts requests per path."""
        self.url = ""
        self.hits: dict[str, int] = {}
        self._routes: dict[str, _Route] = {}
        self._runner: web.AppRunner | None = None

    def serve(
        self,
        path: str,
        body: bytes,
        content_type: str = "image/jpeg",
        status: int = 200,
        delay: float = 0.0,
    ) -> str:
        """Serve ``body`` at ``path`` (starting with "/"); return its full URL."""
        self._routes[path] = _Route(body, content_type, status, delay)
        return f"{self.url}{path}"

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner, self.url = await _start_app(app)

    async def stop(self) -> None:
        """Close the listening socket and the handlers."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        route = self._routes.get(path)
        if route is None:
            return web.Response(status=404)
        await asyncio.sleep(route.delay)
        return web.Response(
            body=route.body,
            status=route.status,
            headers={"Content-Type": route.content_type},
        )


async def _start_app(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    # A short shutdown timeout: a test that gave up on a slow request should
    # not wait a minute for its handler when the server stops.
    runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    port = server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


def make_jpeg(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """Return a solid-colour JPEG."""
    return _make_image("JPEG", width, height, color)


def make_png(
    width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """Return a solid-colour PNG."""
    return _make_image("PNG", width, height, color)


def _make_image(
    image_format: str, width: int, height: int, color: tuple[int, int, int]
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=image_format)
    return buffer.getvalue()


def failing_print(frames: int) -> list[list[list[object]]]:
    """Detections of a print that goes well for 40 frames, then turns into spaghetti."""
    script: list[list[list[object]]] = []
    for frame in range(1, frames + 1):
        if frame <= 40:
            script.append([["failure", 0.1, [320.0, 240.0, 60.0, 40.0]]])
            continue
        confidence = min(0.9, 0.05 * (frame - 40))
        script.append(
            [
                ["failure", confidence, [100.0 * box, 200.0, 50.0, 40.0]]
                for box in (1, 2, 3)
            ]
        )
    return script


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
