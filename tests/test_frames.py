"""The one-time frame store, and the view that serves it through Home Assistant."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Awaitable, Callable
import logging
import re
import tracemalloc

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.obico.api import ObicoMlClient
from custom_components.obico.frames import (
    FRAME_TTL,
    FRAME_VIEW_URL,
    MAX_FRAMES,
    MAX_TOTAL_BYTES,
    Frame,
    FrameStore,
    FrameTooLargeError,
    FrameView,
    async_get_frame_store,
    frame_path,
    redact_frame_urls,
)
from tests.obico_ml_server import FakeObicoMlServer, make_jpeg, make_png

JPEG = make_jpeg()
type ClientSessionGenerator = Callable[
    [], Awaitable[TestClient[web.Request, web.Application]]
]
SAMPLE_NONCE = "G7M6LOBgGC6Xhdq1_ga0qF0ynECem4x9rWVPgx1aC5Y"
NONCE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at an arbitrary non-zero time."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Return a fake clock."""
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> FrameStore:
    """Return a store with the default bounds on the fake clock."""
    return FrameStore(clock=clock)


def frame_of(size: int, fill: int = 0) -> bytes:
    """Return ``size`` bytes of ``fill``."""
    return bytes([fill]) * size


# --- Nonces ----------------------------------------------------------------------


def test_nonce_is_256_random_bits_in_url_safe_text(store: FrameStore) -> None:
    """A nonce is 43 URL-safe characters that decode to 32 bytes."""
    nonce = store.stash(JPEG, "image/jpeg")

    assert NONCE.match(nonce)
    assert len(base64.urlsafe_b64decode(nonce + "=")) == 32


def test_nonces_are_unique(clock: FakeClock) -> None:
    """10,000 stashes give 10,000 different nonces."""
    store = FrameStore(clock=clock, max_frames=10_000)

    nonces = {store.stash(b"x", "image/jpeg") for _ in range(10_000)}

    assert len(nonces) == 10_000
    assert len(store) == 10_000
    # Every character of the alphabet turns up: the nonces are not patterned.
    assert set("".join(nonces)) == set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


# --- One-shot, TTL and purging ------------------------------------------------------


def test_frame_is_served_once(store: FrameStore) -> None:
    """Each frame is taken once, then never again."""
    nonce = store.stash(JPEG, "image/jpeg")
    assert len(store) == 1
    assert store.total_bytes == len(JPEG)

    assert store.take(nonce) == Frame(JPEG, "image/jpeg")
    assert len(store) == 0
    assert store.total_bytes == 0

    assert store.take(nonce) is None
    assert len(store) == 0
    assert store.total_bytes == 0


def test_unknown_nonce_is_none(store: FrameStore) -> None:
    """An unknown nonce finds nothing and disturbs nothing."""
    store.stash(JPEG, "image/jpeg")

    assert store.take("not-a-nonce") is None
    assert store.take("") is None
    assert len(store) == 1
    assert store.total_bytes == len(JPEG)


def test_frame_still_served_just_before_ttl(
    clock: FakeClock, store: FrameStore
) -> None:
    """At ttl - ε the frame is still there."""
    nonce = store.stash(JPEG, "image/jpeg")
    clock.now += FRAME_TTL - 1e-6

    assert store.take(nonce) == Frame(JPEG, "image/jpeg")


def test_frame_expires_at_ttl(clock: FakeClock, store: FrameStore) -> None:
    """At exactly ttl the frame is gone."""
    nonce = store.stash(JPEG, "image/jpeg")
    clock.now += FRAME_TTL

    assert store.take(nonce) is None
    assert len(store) == 0
    assert store.total_bytes == 0


def test_expired_frames_count_until_purged(clock: FakeClock, store: FrameStore) -> None:
    """Length and total_bytes only read; the next stash or take purges."""
    store.stash(frame_of(10), "image/jpeg")
    clock.now += FRAME_TTL

    assert len(store) == 1
    assert store.total_bytes == 10

    assert store.take("unknown") is None
    assert len(store) == 0
    assert store.total_bytes == 0


def test_stash_purges_expired_frames(clock: FakeClock, store: FrameStore) -> None:
    """A stash drops what has expired and keeps what has not."""
    old = store.stash(frame_of(10), "image/jpeg")
    clock.now += 20
    younger = store.stash(frame_of(20), "image/jpeg")
    clock.now += 10  # old is now exactly 30 s old, younger 10 s

    newest = store.stash(frame_of(40), "image/png")

    assert len(store) == 2
    assert store.total_bytes == 60
    assert store.take(old) is None
    assert store.take(younger) == Frame(frame_of(20), "image/jpeg")
    assert store.take(newest) == Frame(frame_of(40), "image/png")


def test_take_purges_expired_frames(clock: FakeClock, store: FrameStore) -> None:
    """A take of another nonce drops what has expired."""
    store.stash(frame_of(10), "image/jpeg")
    store.stash(frame_of(20), "image/jpeg")
    clock.now += 15
    kept = store.stash(frame_of(40), "image/jpeg")
    clock.now += 15

    assert store.take("unknown") is None

    assert len(store) == 1
    assert store.total_bytes == 40
    assert store.take(kept) == Frame(frame_of(40), "image/jpeg")


def test_custom_ttl(clock: FakeClock) -> None:
    """The ttl argument replaces the 30 s default."""
    store = FrameStore(clock=clock, ttl=2.0)
    nonce = store.stash(JPEG, "image/jpeg")
    clock.now += 2.0

    assert store.take(nonce) is None


# --- Bounds and eviction -------------------------------------------------------------


def test_count_bound_evicts_the_oldest(clock: FakeClock) -> None:
    """The fourth frame of a three-frame store pushes out the first."""
    store = FrameStore(clock=clock, max_frames=3)
    nonces = [store.stash(frame_of(10, index), "image/jpeg") for index in range(4)]

    assert len(store) == 3
    assert store.total_bytes == 30
    assert store.take(nonces[0]) is None
    assert [store.take(nonce) for nonce in nonces[1:]] == [
        Frame(frame_of(10, index), "image/jpeg") for index in (1, 2, 3)
    ]


def test_byte_bound_evicts_oldest_until_the_new_frame_fits(clock: FakeClock) -> None:
    """Frames of 40, 40 and 30 bytes in a 100-byte store: only the first goes."""
    store = FrameStore(clock=clock, max_bytes=100)
    first = store.stash(frame_of(40, 1), "image/jpeg")
    second = store.stash(frame_of(40, 2), "image/jpeg")

    third = store.stash(frame_of(30, 3), "image/jpeg")

    assert len(store) == 2
    assert store.total_bytes == 70
    assert store.take(first) is None
    assert store.take(second) == Frame(frame_of(40, 2), "image/jpeg")
    assert store.take(third) == Frame(frame_of(30, 3), "image/jpeg")


def test_byte_bound_evicts_several_oldest(clock: FakeClock) -> None:
    """A large frame evicts as many of the oldest as it needs, and no more."""
    store = FrameStore(clock=clock, max_bytes=100)
    nonces = [store.stash(frame_of(25, index), "image/jpeg") for index in range(4)]

    big = store.stash(frame_of(60), "image/jpeg")

    # 100 + 60 needs 60 freed: the three oldest 25-byte frames go.
    assert len(store) == 2
    assert store.total_bytes == 85
    assert [store.take(nonce) for nonce in nonces[:3]] == [None, None, None]
    assert store.take(nonces[3]) == Frame(frame_of(25, 3), "image/jpeg")
    assert store.take(big) == Frame(frame_of(60), "image/jpeg")


def test_frame_filling_the_whole_store_evicts_everything(clock: FakeClock) -> None:
    """A frame of exactly max_bytes fits once the store is empty."""
    store = FrameStore(clock=clock, max_bytes=100)
    store.stash(frame_of(1), "image/jpeg")
    store.stash(frame_of(1), "image/jpeg")

    nonce = store.stash(frame_of(100), "image/jpeg")

    assert len(store) == 1
    assert store.total_bytes == 100
    assert store.take(nonce) == Frame(frame_of(100), "image/jpeg")


def test_too_large_frame_is_refused_and_evicts_nothing(clock: FakeClock) -> None:
    """A frame larger than max_bytes raises and leaves the store as it was."""
    store = FrameStore(clock=clock, max_bytes=100)
    kept = store.stash(frame_of(60), "image/jpeg")

    with pytest.raises(FrameTooLargeError, match="101 bytes"):
        store.stash(frame_of(101), "image/jpeg")

    assert len(store) == 1
    assert store.total_bytes == 60
    assert store.take(kept) == Frame(frame_of(60), "image/jpeg")
    assert issubclass(FrameTooLargeError, ValueError)


def test_empty_frame_is_stored(store: FrameStore) -> None:
    """Zero bytes are a frame like any other: the bounds stay consistent."""
    nonce = store.stash(b"", "image/jpeg")

    assert len(store) == 1
    assert store.total_bytes == 0
    assert store.take(nonce) == Frame(b"", "image/jpeg")


def test_default_bounds() -> None:
    """The defaults are 30 s, 32 frames and 64 MiB."""
    assert FRAME_TTL == 30.0
    assert MAX_FRAMES == 32
    assert MAX_TOTAL_BYTES == 64 * 1024 * 1024


def test_default_count_bound(clock: FakeClock, store: FrameStore) -> None:
    """The default store holds at most 32 frames."""
    for _ in range(MAX_FRAMES + 5):
        store.stash(b"x", "image/jpeg")

    assert len(store) == MAX_FRAMES


def test_default_byte_bound(clock: FakeClock, store: FrameStore) -> None:
    """The default store holds at most 64 MiB: five 16 MiB frames leave four."""
    frame = frame_of(16 * 1024 * 1024)
    for _ in range(5):
        store.stash(frame, "image/jpeg")

    assert len(store) == 4
    assert store.total_bytes == MAX_TOTAL_BYTES


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ttl": 0},
        {"ttl": -1.0},
        {"max_frames": 0},
        {"max_bytes": 0},
    ],
)
def test_bounds_must_be_positive(kwargs: dict[str, float]) -> None:
    """A store that could hold nothing is refused."""
    with pytest.raises(ValueError, match="must be positive"):
        FrameStore(**kwargs)  # type: ignore[arg-type]


def test_memory_stays_bounded_over_10000_stashes(clock: FakeClock) -> None:
    """Nothing accumulates: after 10,000 never-fetched frames memory is flat."""
    store = FrameStore(clock=clock)
    tracemalloc.start()
    try:
        for index in range(1_000):
            store.stash(frame_of(1024, index % 256), "image/jpeg")
            clock.now += 0.5
        baseline, _ = tracemalloc.get_traced_memory()
        for index in range(9_000):
            store.stash(frame_of(1024, index % 256), "image/jpeg")
            clock.now += 0.5
            assert len(store) <= MAX_FRAMES
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Every frame is kept 30 s and one arrives per 0.5 s: the count bound rules.
    assert len(store) == MAX_FRAMES
    assert store.total_bytes == MAX_FRAMES * 1024
    # 9,000 leaked frames would be over 9 MB; a flat store moves by a few KB.
    assert after - baseline < 64 * 1024


# --- discard ----------------------------------------------------------------------


def test_discard_drops_a_waiting_frame(store: FrameStore) -> None:
    """Discarding a frame nobody fetched says True, and then it is gone."""
    nonce = store.stash(JPEG, "image/jpeg")

    assert store.discard(nonce) is True
    assert len(store) == 0
    assert store.total_bytes == 0
    assert store.take(nonce) is None


def test_discard_after_take_is_false(store: FrameStore) -> None:
    """A fetched frame was not waiting any more."""
    nonce = store.stash(JPEG, "image/jpeg")
    store.take(nonce)

    assert store.discard(nonce) is False


def test_discard_unknown_is_false(store: FrameStore) -> None:
    """An unknown nonce was never waiting, and nothing else is dropped."""
    store.stash(JPEG, "image/jpeg")

    assert store.discard("unknown") is False
    assert len(store) == 1


def test_discard_expired_is_false(clock: FakeClock, store: FrameStore) -> None:
    """An expired frame no longer waits: discard says False and purges it."""
    nonce = store.stash(JPEG, "image/jpeg")
    clock.now += FRAME_TTL

    assert store.discard(nonce) is False
    assert len(store) == 0
    assert store.total_bytes == 0


def test_discard_twice(store: FrameStore) -> None:
    """The second discard of the same nonce is False."""
    nonce = store.stash(JPEG, "image/jpeg")

    assert store.discard(nonce) is True
    assert store.discard(nonce) is False


# --- Paths and redaction ------------------------------------------------------------


def test_frame_path() -> None:
    """The path of a nonce is under /api/obico/frame/."""
    assert frame_path("abc_DEF-123") == "/api/obico/frame/abc_DEF-123"
    assert FRAME_VIEW_URL == "/api/obico/frame/{nonce}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"Failed to get image http://10.0.0.2:8123/api/obico/frame/{SAMPLE_NONCE}: 404",
            "Failed to get image http://10.0.0.2:8123/api/obico/frame/…: 404",
        ),
        (
            "url: /api/obico/frame/abc-DEF_1?x=1 and /api/obico/frame/zz/",
            "url: /api/obico/frame/…?x=1 and /api/obico/frame/…/",
        ),
        ("http://ha:8123/api/obico/frame/…", "http://ha:8123/api/obico/frame/…"),
        ("http://ha:8123/api/obico/frame/", "http://ha:8123/api/obico/frame/"),
        ("/api/obico/frames/abc", "/api/obico/frames/abc"),
        ("timed out after 30 s", "timed out after 30 s"),
    ],
)
def test_redact_frame_urls(text: str, expected: str) -> None:
    """Every nonce in a frame URL or path is hidden; nothing else changes."""
    assert redact_frame_urls(text) == expected


# --- The view, through Home Assistant's HTTP server -------------------------------------


@pytest.fixture
async def http(hass: HomeAssistant) -> None:
    """Set up Home Assistant's HTTP component."""
    assert await async_setup_component(hass, "http", {})


@pytest.mark.usefixtures("http")
async def test_view_serves_a_frame_once(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Without any credentials, a frame is served once with its headers."""
    store = async_get_frame_store(hass)
    nonce = store.stash(JPEG, "image/jpeg")
    client = await hass_client_no_auth()

    response = await client.get(frame_path(nonce))
    assert response.status == 200
    assert await response.read() == JPEG
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(store) == 0

    again = await client.get(frame_path(nonce))
    assert again.status == 404
    assert await again.read() == b""


@pytest.mark.usefixtures("http")
async def test_view_keeps_the_frame_content_type(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A PNG frame is served as a PNG."""
    png = make_png()
    nonce = async_get_frame_store(hass).stash(png, "image/png")
    client = await hass_client_no_auth()

    response = await client.get(frame_path(nonce))

    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert await response.read() == png


@pytest.mark.usefixtures("http")
@pytest.mark.parametrize("nonce", ["unknown", SAMPLE_NONCE])
async def test_view_unknown_nonce_is_a_bare_404(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, nonce: str
) -> None:
    """An unknown nonce gets a 404 with an empty body, and other frames stay."""
    store = async_get_frame_store(hass)
    store.stash(JPEG, "image/jpeg")
    client = await hass_client_no_auth()

    response = await client.get(frame_path(nonce))

    assert response.status == 404
    assert await response.read() == b""
    assert len(store) == 1


@pytest.mark.usefixtures("http")
async def test_view_does_not_answer_head(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Only GET is routed, so a HEAD probe cannot use up the frame."""
    nonce = async_get_frame_store(hass).stash(JPEG, "image/jpeg")
    client = await hass_client_no_auth()

    head = await client.head(frame_path(nonce))
    get = await client.get(frame_path(nonce))

    assert head.status == 405
    assert get.status == 200


@pytest.mark.usefixtures("http")
async def test_view_expired_frame_is_a_bare_404(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, clock: FakeClock
) -> None:
    """An expired frame answers exactly like an unknown one.

    The process-wide store runs on the real monotonic clock, so this serves a
    store on the fake clock through its own FrameView.
    """
    store = FrameStore(clock=clock)
    hass.http.register_view(FrameView(store))
    nonce = store.stash(JPEG, "image/jpeg")
    clock.now += FRAME_TTL
    client = await hass_client_no_auth()

    response = await client.get(frame_path(nonce))

    assert response.status == 404
    assert await response.read() == b""
    assert len(store) == 0


@pytest.mark.usefixtures("http")
async def test_one_store_and_one_route(hass: HomeAssistant) -> None:
    """async_get_frame_store always returns the same store and routes it once."""
    first = async_get_frame_store(hass)
    second = async_get_frame_store(hass)

    assert first is second
    get_routes = [
        route
        for route in hass.http.app.router.routes()
        if route.method == "GET"
        and route.resource is not None
        and route.resource.canonical == FRAME_VIEW_URL
    ]
    assert len(get_routes) == 1


@pytest.mark.usefixtures("http")
async def test_nonce_never_logged_at_info_or_above(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Serving, re-requesting and discarding frames logs no nonce at INFO+."""
    caplog.set_level(logging.DEBUG)
    # Home Assistant's bootstrap silences aiohttp's access log the same way.
    caplog.set_level(logging.WARNING, logger="aiohttp.access")
    store = async_get_frame_store(hass)
    served = store.stash(JPEG, "image/jpeg")
    discarded = store.stash(JPEG, "image/jpeg")
    client = await hass_client_no_auth()

    assert (await client.get(frame_path(served))).status == 200
    assert (await client.get(frame_path(served))).status == 404
    assert store.discard(discarded)

    loud = [record for record in caplog.records if record.levelno >= logging.INFO]
    for nonce in (served, discarded):
        assert not [r for r in loud if nonce in r.getMessage()]
    ours = [r for r in caplog.records if r.name.startswith("custom_components.obico")]
    assert not [r for r in ours if served in r.getMessage()]


# --- End to end: the ML server fetches from Home Assistant over a real socket ---------


@pytest.fixture
async def ml_server(socket_enabled: None) -> AsyncGenerator[FakeObicoMlServer]:
    """Yield a running fake ML server."""
    server = FakeObicoMlServer()
    await server.start()
    yield server
    await server.stop()


@pytest.mark.usefixtures("http")
async def test_ml_server_fetches_the_frame_through_the_view(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    ml_server: FakeObicoMlServer,
) -> None:
    """The frame crosses Home Assistant's HTTP server once and is then gone."""
    store = async_get_frame_store(hass)
    client = await hass_client_no_auth()
    base_url = str(client.make_url("")).rstrip("/")
    ml_server.script([["failure", 0.6, [32, 24, 10, 10]]])
    nonces: list[str] = []

    def stash() -> str:
        nonces.append(store.stash(JPEG, "image/jpeg"))
        return base_url + frame_path(nonces[-1])

    async with aiohttp.ClientSession() as session:
        detections = await ObicoMlClient(session, ml_server.url).detect(stash)

    assert [detection.confidence for detection in detections] == [0.6]
    assert ml_server.fetched == [JPEG]
    assert store.discard(nonces[0]) is False
    assert len(store) == 0
