"""A simulator of the self-hosted Obico ML API, for development and tests.

It speaks the real ``obico-ml-api`` contract (DESIGN section 2) over real
sockets, but it is no detector: it finds spaghetti only where a frame says so
in a colour no real print shows. ``scripts/demo_printer.py`` draws its failing
prints that way; the tests either draw such frames or script the detections.

The contract
------------
- ``GET /hc/`` answers ``ok`` and never checks the token.
- ``GET /p/?img=URL``:
  - with a token set, anything but ``Authorization: Bearer <token>`` is 401
    with an empty text/html body, before anything else is looked at;
  - no ``img``: 422, as FastAPI answers a missing query parameter;
  - the server fetches ``img`` itself: 0.1 s to connect, 5 s to read, 3
    retries on timeouts, connection errors and 5xx, none on 4xx;
  - it decodes JPEG and PNG only; a failed fetch or decode is 400
    ``{"detections": [], "message": "Failed to get image ..."}``;
  - one request is served at a time (one worker), after a configurable
    inference delay; the others wait their turn;
  - 200 ``{"detections": [["failure", confidence, [xc, yc, w, h]], ...]}``.

Tests can queue detections with ``script(...)`` and switch ``mode`` to make
the server misbehave (see ``ObicoMlSimulator.mode``).

The marker
----------
When nothing is scripted, the detections come from the frame itself:

- A *marker pixel* is one whose red, green and blue are each within
  ``MARKER_TOLERANCE`` (60) of ``MARKER_COLOR``, pure magenta (255, 0, 255);
  the tolerance absorbs JPEG artefacts.
- Marker pixels form *blobs*: the frame is cut into ``MARKER_CELL`` (16) px
  square cells, and cells holding marker pixels that touch, by a side or a
  corner, make one blob. Markers more than 32 px apart are always two blobs.
- Each blob is one detection, with ``area = blob pixels / frame pixels``::

      confidence = min(0.99, area / 0.01)

  so confidence grows linearly with the blob's share of the frame, and a blob
  covering 1 % of the frame or more is 0.99 sure. A blob under 0.08 (0.08 %
  of the frame) is dropped, as the real server drops detections below its
  cut-off, so an empty frame, or a tiny marker, answers ``[]``.
- The box is the blob's bounding box in pixels of the decoded frame: for
  marker pixels spanning columns ``left <= x < right`` and rows
  ``top <= y < bottom``, ``w = right - left``, ``h = bottom - top``,
  ``xc = left + w / 2`` and ``yc = top + h / 2``.
- Detections are sorted by confidence, high to low.

Run it
------
``python scripts/obico_ml_simulator.py --port 3333 [--host 127.0.0.1]
[--token T] [--inference-delay 0.5]`` prints ``Obico ML API simulator on
http://HOST:PORT`` once it listens, and exits 0 on SIGINT or SIGTERM. It needs
only aiohttp and Pillow, never Home Assistant.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import deque
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass
import io
import os
import signal
import socket
import sys
import time
from typing import Protocol

import aiohttp
from aiohttp import web
from PIL import Image, ImageChops

FETCH_TIMEOUT = aiohttp.ClientTimeout(sock_connect=0.1, sock_read=5)
FETCH_ATTEMPTS = 4  # the first try and 3 retries
FETCH_BACKOFF = 0.05
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})
DEFAULT_INFERENCE_DELAY = 0.5  # seconds; a CPU takes 0.3-2 s per frame

MARKER_COLOR = (255, 0, 255)
MARKER_TOLERANCE = 60
MARKER_CELL = 16
FULL_CONFIDENCE_AREA = 0.01  # the share of the frame a blob needs for MAX_CONFIDENCE
MAX_CONFIDENCE = 0.99
MIN_CONFIDENCE = 0.08  # the real server's cut-off

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

# A plain alias, not a ``type`` statement: the demo may run on an older Python.
Detections = list[list[object]]


# --- The marker ----------------------------------------------------------------

# Image.point's table for an RGB image: 256 entries per band, in band order.
_MARKER_TABLE = [
    255 if abs(value - target) <= MARKER_TOLERANCE else 0
    for target in MARKER_COLOR
    for value in range(256)
]


@dataclass(frozen=True, slots=True)
class MarkerBlob:
    """One blob of marker pixels: how many, and their bounding box.

    ``right`` and ``bottom`` are exclusive, as in Pillow's boxes.
    """

    pixels: int
    left: int
    top: int
    right: int
    bottom: int

    @property
    def box(self) -> list[float]:
        """Return ``[xc, yc, w, h]``, as the ML API reports a box."""
        width = self.right - self.left
        height = self.bottom - self.top
        return [
            self.left + width / 2,
            self.top + height / 2,
            float(width),
            float(height),
        ]


def marker_confidence(area: float) -> float:
    """Return the confidence of a blob covering ``area`` (0..1) of the frame."""
    return min(MAX_CONFIDENCE, area / FULL_CONFIDENCE_AREA)


def marker_detections(image: Image.Image) -> Detections:
    """Return what the simulator answers for a decoded frame when nothing is scripted."""
    frame_pixels = image.width * image.height
    found = [
        (marker_confidence(blob.pixels / frame_pixels), blob)
        for blob in marker_blobs(image)
    ]
    # High to low, as the real server sorts; equal confidences top to bottom,
    # then left to right, so that the order never depends on a set's.
    found.sort(key=lambda item: (-item[0], item[1].top, item[1].left))
    return [
        ["failure", confidence, blob.box]
        for confidence, blob in found
        if confidence >= MIN_CONFIDENCE
    ]


def marker_blobs(image: Image.Image) -> list[MarkerBlob]:
    """Return the blobs of marker pixels in a decoded frame, in no set order."""
    mask = marker_mask(image)
    if mask.getbbox() is None:  # the usual case, and a cheap one
        return []
    return [
        _measure_blob(mask, cells) for cells in _touching_groups(_marked_cells(mask))
    ]


def marker_mask(image: Image.Image) -> Image.Image:
    """Return an "L" image: 255 at the frame's marker pixels, 0 elsewhere."""
    # A frame's alpha is dropped, as OpenCV's colour decode drops it.
    red, green, blue = image.convert("RGB").point(_MARKER_TABLE).split()
    return ImageChops.darker(ImageChops.darker(red, green), blue)


def _marked_cells(mask: Image.Image) -> set[tuple[int, int]]:
    # Each cell becomes the mean of its pixels: above 0 when any is a marker
    # (one pixel of 256 still rounds up to 1). An "L" image's bytes are its
    # pixels, one byte each, on every Pillow release.
    cells = mask.reduce(MARKER_CELL)
    columns = cells.width
    return {
        (index % columns, index // columns)
        for index, value in enumerate(cells.tobytes())
        if value
    }


def _touching_groups(cells: set[tuple[int, int]]) -> list[set[tuple[int, int]]]:
    """Split cells into groups whose cells touch by a side or a corner."""
    unvisited = set(cells)
    groups: list[set[tuple[int, int]]] = []
    while unvisited:
        seed = unvisited.pop()
        group = {seed}
        frontier = [seed]
        while frontier:
            column, row = frontier.pop()
            for step_x in (-1, 0, 1):
                for step_y in (-1, 0, 1):
                    neighbour = (column + step_x, row + step_y)
                    if neighbour in unvisited:
                        unvisited.remove(neighbour)
                        group.add(neighbour)
                        frontier.append(neighbour)
        groups.append(group)
    return groups


def _measure_blob(mask: Image.Image, cells: set[tuple[int, int]]) -> MarkerBlob:
    """Count the marker pixels inside one group of cells, and bound them."""
    first_column = min(column for column, _ in cells)
    first_row = min(row for _, row in cells)
    columns = max(column for column, _ in cells) - first_column + 1
    rows = max(row for _, row in cells) - first_row + 1
    left, top = first_column * MARKER_CELL, first_row * MARKER_CELL
    region = mask.crop(
        (
            left,
            top,
            min(left + columns * MARKER_CELL, mask.width),
            min(top + rows * MARKER_CELL, mask.height),
        )
    )
    # Another blob's cells may lie inside this group's bounding box: a stencil
    # of the group's own cells keeps only its pixels.
    stencil = Image.new("L", (columns, rows), 0)
    for column, row in cells:
        stencil.putpixel((column - first_column, row - first_row), 255)
    stencil = stencil.resize(
        (columns * MARKER_CELL, rows * MARKER_CELL), Image.Resampling.NEAREST
    ).crop((0, 0, region.width, region.height))
    pixels = ImageChops.darker(region, stencil)
    bounds = pixels.getbbox()
    assert bounds is not None  # every cell of the group holds a marker pixel
    return MarkerBlob(
        pixels=pixels.histogram()[255],
        left=left + bounds[0],
        top=top + bounds[1],
        right=left + bounds[2],
        bottom=top + bounds[3],
    )


def decode_frame(body: bytes) -> Image.Image:
    """Decode like the real server's OpenCV: JPEG and PNG only.

    Raises FetchError, whose text is the reason, when the bytes are neither.
    """
    try:
        # A BytesIO needs no closing, so the loaded image outlives this call.
        image = Image.open(io.BytesIO(body))
        image_format = image.format
        image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise FetchError(f"cannot decode image: {err}") from err
    if image_format not in ACCEPTED_FORMATS:
        raise FetchError(f"cannot decode image: unsupported format {image_format}")
    return image


# --- The server ----------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One ``/p/`` call as the simulator saw it."""

    index: int
    authorization: str | None
    img: str | None
    arrived_at: float
    started_at: float | None = None  # when it got a worker, if it did
    ended_at: float | None = None
    status: int | None = None


class FetchError(Exception):
    """The frame could not be fetched or decoded; the text is the reason."""


class ObicoMlSimulator:
    """A real aiohttp server that answers like the Obico ML API."""

    def __init__(
        self, *, token: str | None = None, workers: int = 1, keep_records: bool = True
    ) -> None:
        """Prepare the server; ``workers`` requests are served at once.

        With ``keep_records`` every call and every fetched frame is kept in
        ``requests`` and ``fetched`` for a test to inspect; a simulator that
        runs for hours (the command line) keeps none.
        """
        self.token = token
        self.keep_records = keep_records
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
        self._script: deque[Detections] = deque()
        self._in_flight = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def mode(self) -> str:
        """How the server answers ``/p/`` once the token and ``img`` checked out.

        "normal": fetch, decode, then the next scripted detections, or the
        marker's when none is queued.
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

    def script(self, *frames: Detections) -> None:
        """Queue the detections of the next successful calls, one list per call."""
        self._script.extend(frames)

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> None:
        """Listen on ``host``, on a free port unless told which (for a restart)."""
        self._stopping.clear()
        app = web.Application()
        app.router.add_get("/hc/", self._health)
        app.router.add_get("/p/", self._predict)
        self._session = aiohttp.ClientSession(timeout=FETCH_TIMEOUT)
        try:
            self._runner, self.url = await start_app(app, host, port)
        except OSError:
            await self._session.close()
            raise

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
        if self.keep_records:
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
                image = await self._fetch_image(record.img)
            except FetchError as err:
                message = f"Failed to get image {record.img}: {err}"
                return web.json_response(
                    {"detections": [], "message": message}, status=400
                )
            self.frame_fetched.set()
            # Cut short when the server stops, as a killed worker would be.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.inference_delay)
            return await self._inference_answer(image)

    async def _fetch_image(self, url: str) -> Image.Image:
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
                        raise FetchError(f"{response.status} {response.reason}")
                    body = await response.read()
            except (TimeoutError, aiohttp.ClientError) as err:
                reason = f"{type(err).__name__}: {err}"
                continue
            loop = asyncio.get_running_loop()
            image = await loop.run_in_executor(None, decode_frame, body)
            if self.keep_records:
                self.fetched.append(body)
            return image
        raise FetchError(reason)

    async def _inference_answer(self, image: Image.Image) -> web.Response:
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
        if self._script:
            return web.json_response({"detections": self._script.popleft()})
        loop = asyncio.get_running_loop()
        detections = await loop.run_in_executor(None, marker_detections, image)
        return web.json_response({"detections": detections})


# --- Serving -------------------------------------------------------------------


async def start_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on ``host``:``port`` (0: a free port); return it and its URL."""
    # A short shutdown timeout: a test that gave up on a slow request should
    # not wait a minute for its handler when the server stops.
    runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    url_host = f"[{host}]" if ":" in host else host  # an IPv6 address
    return runner, f"http://{url_host}:{bound_port}"


class Server(Protocol):
    """A server that ``serve_until_signalled`` can run."""

    url: str

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> None:
        """Listen."""

    async def stop(self) -> None:
        """Stop listening and close everything."""


async def serve_until_signalled(
    server: Server, name: str, host: str, port: int
) -> None:
    """Run ``server`` until SIGINT or SIGTERM; say where once it listens."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Before listening: a signal that comes right after the line must be heard.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await server.start(port, host)
    try:
        # Whoever started us waits for this line; it must not sit in a buffer.
        print(f"{name} on {server.url}", flush=True)
        await stop.wait()
    finally:
        await server.stop()


def run_server(server: Server, name: str, host: str, port: int) -> int:
    """Run a server from the command line; return the process's exit code."""
    try:
        asyncio.run(serve_until_signalled(server, name, host, port))
    except OSError as err:  # most often: the port is taken
        print(f"error: cannot listen on {host}:{port}: {err}", file=sys.stderr)
        return 1
    return 0


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 for any free one."""
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port")
    return port


def _seconds(text: str) -> float:
    seconds = float(text)
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a duration in seconds")
    return seconds


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=port_number, default=3333)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--token",
        default=os.environ.get("ML_API_TOKEN"),
        help="the Bearer token /p/ requires (default: $ML_API_TOKEN, or none)",
    )
    parser.add_argument(
        "--inference-delay",
        type=_seconds,
        default=DEFAULT_INFERENCE_DELAY,
        help=f"seconds each frame takes (default: {DEFAULT_INFERENCE_DELAY})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until SIGINT or SIGTERM."""
    args = _parse_args(argv)
    simulator = ObicoMlSimulator(token=args.token or None, keep_records=False)
    simulator.inference_delay = args.inference_delay
    return run_server(simulator, "Obico ML API simulator", args.host, args.port)


# --- Helpers for tests and benchmarks ------------------------------------------


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
        self._runner, self.url = await start_app(app)

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


def failing_print(frames: int) -> list[Detections]:
    """Detections of a print that goes well for 40 frames, then turns into spaghetti."""
    script: list[Detections] = []
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


if __name__ == "__main__":
    sys.exit(main())
