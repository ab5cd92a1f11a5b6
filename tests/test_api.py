"""ObicoMlClient against a fake Obico ML server over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
import json
import secrets
import time
from typing import Any

import aiohttp
import pytest

from custom_components.obico.api import (
    DEFAULT_REQUEST_TIMEOUT,
    MAX_RESPONSE_BYTES,
    Detection,
    ObicoAuthError,
    ObicoConnectionError,
    ObicoFrameError,
    ObicoMlClient,
    ObicoNotReadyError,
    ObicoResponseError,
    ObicoServerError,
    frame_error_reason,
    normalize_url,
)
from tests.obico_ml_server import (
    MISSING_IMG_BODY,
    FakeObicoMlServer,
    FrameHost,
    make_jpeg,
    make_png,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

JPEG = make_jpeg()
TOKEN = "s3cret"
OTHER_TOKEN = "other"

type StartMlServer = Callable[..., Awaitable[FakeObicoMlServer]]


@pytest.fixture
async def frames() -> AsyncGenerator[FrameHost]:
    """Yield a running frame host."""
    host = FrameHost()
    await host.start()
    yield host
    await host.stop()


@pytest.fixture
async def start_ml_server() -> AsyncGenerator[StartMlServer]:
    """Start fake ML servers on demand; every one is stopped afterwards."""
    servers: list[FakeObicoMlServer] = []

    async def start(**kwargs: Any) -> FakeObicoMlServer:
        server = FakeObicoMlServer(**kwargs)
        servers.append(server)
        await server.start()
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def ml_server(start_ml_server: StartMlServer) -> FakeObicoMlServer:
    """Return a running fake ML server without a token and with one worker."""
    return await start_ml_server()


def signalling(url: str, slot_held: asyncio.Event) -> Callable[[], str]:
    """Return an image_url callable that sets ``slot_held`` when it is called."""

    def image_url() -> str:
        slot_held.set()
        return url

    return image_url


async def raw_http_server(
    answer: bytes,
) -> tuple[asyncio.Server, str]:
    """Start a TCP server that answers every connection with ``answer`` bytes."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


# --- The fake server itself behaves like the real one -------------------------


async def test_fake_server_health_ignores_the_token(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession
) -> None:
    """/hc/ answers "ok" even when a token is required and none is sent."""
    server = await start_ml_server(token=TOKEN)
    async with session.get(f"{server.url}/hc/") as response:
        assert response.status == 200
        assert await response.text() == "ok"


async def test_fake_server_401_has_an_empty_html_body(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession
) -> None:
    """A missing token is refused before anything else, with an empty body."""
    server = await start_ml_server(token=TOKEN)
    async with session.get(f"{server.url}/p/") as response:
        assert response.status == 401
        assert response.content_type == "text/html"
        assert await response.read() == b""
    assert server.requests[0].status == 401


async def test_fake_server_answers_422_without_img(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession
) -> None:
    """A call without ``img`` gets FastAPI's validation body."""
    async with session.get(f"{ml_server.url}/p/") as response:
        assert response.status == 422
        assert await response.json() == MISSING_IMG_BODY
    assert ml_server.requests[0].img is None


async def test_fake_server_400_quotes_the_image_url(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A failed fetch answers the real server's 400 body."""
    url = frames.serve("/gone.jpg", b"", status=404)
    async with session.get(f"{ml_server.url}/p/", params={"img": url}) as response:
        assert response.status == 400
        assert await response.json() == {
            "detections": [],
            "message": f"Failed to get image {url}: 404 Not Found",
        }


def test_fake_server_rejects_unknown_modes() -> None:
    """A typo in a mode fails loudly instead of testing the normal path."""
    server = FakeObicoMlServer()
    with pytest.raises(ValueError, match="unknown mode"):
        server.mode = "garbge"


# --- Detections ----------------------------------------------------------------


async def test_detect_returns_the_scripted_detections(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Detections come back typed, in order, after a real fetch of the frame."""
    ml_server.script(
        [["failure", 0.91, [320, 240, 50, 60]], ["failure", 0.08, [1.5, 2, 3, 4]]]
    )
    client = ObicoMlClient(session, ml_server.url)
    url = frames.serve("/frame.jpg", JPEG)

    detections = await client.detect(url)

    assert detections == [
        Detection("failure", 0.91, (320.0, 240.0, 50.0, 60.0)),
        Detection("failure", 0.08, (1.5, 2.0, 3.0, 4.0)),
    ]
    assert all(isinstance(value, float) for value in detections[0].box)
    assert ml_server.fetched == [JPEG]
    assert frames.hits == {"/frame.jpg": 1}
    assert ml_server.requests[0].img == url
    # The script is used up: the server now sees nothing.
    assert await client.detect(url) == []


async def test_detect_accepts_confidence_bounds_and_integers(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """0 and 1 are valid confidences, and integers become floats."""
    ml_server.script([["failure", 1, [0, 0, 0, 0]], ["failure", 0, [-1, 2, 3, 4]]])
    client = ObicoMlClient(session, ml_server.url)

    detections = await client.detect(frames.serve("/f.jpg", JPEG))

    assert detections == [
        Detection("failure", 1.0, (0.0, 0.0, 0.0, 0.0)),
        Detection("failure", 0.0, (-1.0, 2.0, 3.0, 4.0)),
    ]
    assert isinstance(detections[0].confidence, float)


async def test_detect_accepts_png(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """PNG frames decode like JPEG ones."""
    ml_server.script([["failure", 0.5, [1, 2, 3, 4]]])
    client = ObicoMlClient(session, ml_server.url)
    png = make_png()

    detections = await client.detect(frames.serve("/f.png", png, "image/png"))

    assert detections == [Detection("failure", 0.5, (1.0, 2.0, 3.0, 4.0))]
    assert ml_server.fetched == [png]


@pytest.mark.parametrize(
    ("client_token", "server_token", "expected_header"),
    [
        (TOKEN, TOKEN, f"Bearer {TOKEN}"),
        (f" {TOKEN} ", TOKEN, f"Bearer {TOKEN}"),
        (None, None, None),
        ("", None, None),
        ("   ", None, None),
    ],
)
async def test_authorization_header_only_with_a_token(
    *,
    start_ml_server: StartMlServer,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    client_token: str | None,
    server_token: str | None,
    expected_header: str | None,
) -> None:
    """The bearer header is sent for a token and never empty or "Bearer None"."""
    server = await start_ml_server(token=server_token)
    client = ObicoMlClient(session, server.url, token=client_token)

    assert await client.detect(frames.serve("/f.jpg", JPEG)) == []

    assert server.requests[0].authorization == expected_header
    assert server.requests[0].status == 200


@pytest.mark.parametrize(
    ("client_token", "message"),
    [("wrong", "rejected the token"), (None, "needs a token")],
)
async def test_bad_or_missing_token_is_an_auth_error(
    start_ml_server: StartMlServer,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    client_token: str | None,
    message: str,
) -> None:
    """401 maps to ObicoAuthError, and the server never fetched the frame."""
    server = await start_ml_server(token=TOKEN)
    client = ObicoMlClient(session, server.url, token=client_token)

    with pytest.raises(ObicoAuthError, match=message):
        await client.detect(frames.serve("/f.jpg", JPEG))

    assert frames.hits == {}


async def test_token_change_on_the_server_is_seen_at_once(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Rotating the server's token makes the old one fail on the next call."""
    server = await start_ml_server(token=TOKEN)
    client = ObicoMlClient(session, server.url, token=TOKEN)
    url = frames.serve("/f.jpg", JPEG)
    assert await client.detect(url) == []

    server.token = OTHER_TOKEN

    with pytest.raises(ObicoAuthError):
        await client.detect(url)


# --- Frames the server cannot use (400) -------------------------------------------


async def test_missing_frame_is_a_frame_error_without_retry(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A 404 on the frame is fetched once and reported with the server's words."""
    url = frames.serve("/missing.jpg", b"", status=404)
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoFrameError) as caught:
        await client.detect(url)

    assert frames.hits == {"/missing.jpg": 1}
    assert caught.value.server_message == f"Failed to get image {url}: 404 Not Found"
    assert caught.value.reason == "Home Assistant answered HTTP 404"
    assert str(caught.value).endswith(": Home Assistant answered HTTP 404")


async def test_failing_frame_host_is_retried_three_times(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A 500 on the frame is tried 4 times before the server gives up."""
    url = frames.serve("/broken.jpg", b"", status=500)
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoFrameError) as caught:
        await client.detect(url)

    assert frames.hits == {"/broken.jpg": 4}
    assert "500 Internal Server Error" in caught.value.server_message


async def test_unreachable_frame_host_is_a_frame_error(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession
) -> None:
    """A frame URL nobody listens on is reported as the server's failure."""
    host = FrameHost()
    await host.start()
    url = host.serve("/f.jpg", JPEG)
    await host.stop()
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoFrameError) as caught:
        await client.detect(url)
    assert "ClientConnectorError" in caught.value.server_message
    assert caught.value.reason == "the connection was refused"


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"not an image", "image/jpeg", "cannot decode image"),
        (make_jpeg()[:200], "image/jpeg", "cannot decode image"),
        (b"GIF89a" + make_png()[8:], "image/gif", "cannot decode image"),
    ],
    ids=["text", "truncated_jpeg", "fake_gif"],
)
async def test_undecodable_frame_is_a_frame_error(
    *,
    ml_server: FakeObicoMlServer,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    """Bytes the server cannot decode give a 400 that says so."""
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoFrameError) as caught:
        await client.detect(frames.serve("/f", body, content_type))
    assert reason in caught.value.server_message
    assert caught.value.reason == "the picture could not be decoded"


async def test_gif_frames_are_refused(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Only JPEG and PNG are accepted, as with the real server."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoFrameError) as caught:
        await client.detect(frames.serve("/f.gif", buffer.getvalue(), "image/gif"))
    assert "unsupported format GIF" in caught.value.server_message


async def test_frame_error_hides_the_frame_secret(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """The server quotes the frame URL back; its one-time nonce never leaves."""
    nonce = secrets.token_urlsafe(32)
    url = frames.serve(f"/api/obico/frame/{nonce}", b"", status=404)
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoFrameError) as caught:
        await client.detect(url)

    assert nonce not in caught.value.server_message
    assert nonce not in str(caught.value)
    assert caught.value.server_message == (
        f"Failed to get image {frames.url}/api/obico/frame/…: 404 Not Found"
    )


@pytest.mark.parametrize(
    ("body", "server_message"),
    [
        (b'{"message": "Failed to get image: boom"}', "Failed to get image: boom"),
        (b'{"detail": "nope"}', '{"detail": "nope"}'),
        (b'{"message": 42}', '{"message": 42}'),
        (b"  plain words  ", "plain words"),
        (b"x" * 300, "x" * 200),
        (b"\xff\xfe oops", "\ufffd\ufffd oops"),
        (b"", "no reason given"),
    ],
    ids=[
        "json",
        "json_without_message",
        "non_text_message",
        "text",
        "long",
        "binary",
        "empty",
    ],
)
async def test_400_message_falls_back_to_the_text(
    session: aiohttp.ClientSession,
    frames: FrameHost,
    body: bytes,
    server_message: str,
) -> None:
    """Without a JSON "message" the first 200 characters of the body are used."""
    frames.serve("/ml/p/", body, "application/json", status=400)
    client = ObicoMlClient(session, f"{frames.url}/ml")

    with pytest.raises(ObicoFrameError) as caught:
        await client.detect("http://127.0.0.1:9/f.jpg")

    assert caught.value.server_message == server_message


# --- Answers that cannot be trusted ---------------------------------------------


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("garbage", "did not answer JSON"),
        ("wrong_shape", "wrong shape"),
        ("nan", "wrong shape"),
        ("huge", "larger than 1 MB"),
        ("reject_422", "HTTP 422"),
    ],
)
async def test_untrustworthy_answers_are_response_errors(
    ml_server: FakeObicoMlServer,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    mode: str,
    message: str,
) -> None:
    """HTML, unknown shapes, NaN, oversize bodies and 422 raise ObicoResponseError."""
    ml_server.mode = mode
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoResponseError, match=message):
        await client.detect(frames.serve("/f.jpg", JPEG))


GOOD_ENTRY: list[object] = ["failure", 0.9, [1, 2, 3, 4]]


@pytest.mark.parametrize(
    "entry",
    [
        "failure",
        {"label": "failure"},
        ["failure", 0.5],
        ["failure", 0.5, [1, 2, 3, 4], "extra"],
        [7, 0.5, [1, 2, 3, 4]],
        [None, 0.5, [1, 2, 3, 4]],
        ["failure", "0.5", [1, 2, 3, 4]],
        ["failure", True, [1, 2, 3, 4]],
        ["failure", None, [1, 2, 3, 4]],
        ["failure", 1.0001, [1, 2, 3, 4]],
        ["failure", -0.01, [1, 2, 3, 4]],
        ["failure", float("inf"), [1, 2, 3, 4]],
        ["failure", 0.5, [1, 2, 3]],
        ["failure", 0.5, [1, 2, 3, 4, 5]],
        ["failure", 0.5, "1,2,3,4"],
        ["failure", 0.5, {"x": 1}],
        ["failure", 0.5, ["1", 2, 3, 4]],
        ["failure", 0.5, [1, None, 3, 4]],
        ["failure", 0.5, [1, 2, False, 4]],
        ["failure", 0.5, [1, 2, 3, float("-inf")]],
        ["failure", 0.5, [10**400, 2, 3, 4]],
    ],
)
async def test_any_malformed_detection_rejects_the_whole_answer(
    ml_server: FakeObicoMlServer,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    entry: object,
) -> None:
    """One bad entry next to a good one still fails: nothing is half-trusted."""
    ml_server.script([GOOD_ENTRY, entry])  # type: ignore[list-item]
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoResponseError, match="wrong shape: malformed detection"):
        await client.detect(frames.serve("/f.jpg", JPEG))


@pytest.mark.parametrize(
    ("raw_body", "message"),
    [
        ('[["failure", 0.9, [1, 2, 3, 4]]]', "no detections"),
        ("[0]", "no detections"),
        ("{}", "no detections"),
        ('"ok"', "no detections"),
        ("null", "no detections"),
        ("0", "no detections"),
        ('{"detections": {}}', "detections is not a list"),
        ('{"detections": null}', "detections is not a list"),
        ('{"detections": "failure"}', "detections is not a list"),
        ('{"detections": [["failure", NaN, [1, 2, 3, 4]]]}', "malformed detection"),
        ("", "did not answer JSON"),
        ('{"detections": [', "did not answer JSON"),
    ],
)
async def test_unknown_top_level_shapes_are_response_errors(
    ml_server: FakeObicoMlServer,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    raw_body: str,
    message: str,
) -> None:
    """Only {"detections": [...]} and a bare [] are understood."""
    ml_server.mode = "raw"
    ml_server.raw_body = raw_body
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoResponseError, match=message):
        await client.detect(frames.serve("/f.jpg", JPEG))


async def test_bare_empty_list_means_nothing_seen(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A bare [] after a real fetch is read as "nothing seen"."""
    ml_server.mode = "raw"
    ml_server.raw_body = "[]"
    client = ObicoMlClient(session, ml_server.url)

    assert await client.detect(frames.serve("/f.jpg", JPEG)) == []
    assert frames.hits == {"/f.jpg": 1}


async def test_extra_keys_are_ignored(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Keys beside "detections" do not matter."""
    ml_server.mode = "raw"
    ml_server.raw_body = json.dumps(
        {"detections": [["failure", 0.4, [1, 2, 3, 4]]], "model": "v2"}
    )
    client = ObicoMlClient(session, ml_server.url)

    assert await client.detect(frames.serve("/f.jpg", JPEG)) == [
        Detection("failure", 0.4, (1.0, 2.0, 3.0, 4.0))
    ]


async def test_legacy_server_answers_empty_list(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A pre-2024 server answers [] even without fetching: it reads as nothing seen."""
    ml_server.mode = "legacy"
    client = ObicoMlClient(session, ml_server.url)

    assert await client.detect(frames.serve("/f.jpg", JPEG)) == []
    assert frames.hits == {}


async def test_body_just_under_the_cap_is_read(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A body of exactly MAX_RESPONSE_BYTES is accepted."""
    skeleton = json.dumps({"detections": [], "pad": ""})
    ml_server.mode = "raw"
    ml_server.raw_body = json.dumps(
        {"detections": [], "pad": "x" * (MAX_RESPONSE_BYTES - len(skeleton))}
    )
    assert len(ml_server.raw_body) == MAX_RESPONSE_BYTES
    client = ObicoMlClient(session, ml_server.url)

    assert await client.detect(frames.serve("/f.jpg", JPEG)) == []


async def test_body_one_byte_over_the_cap_is_refused(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A body of MAX_RESPONSE_BYTES + 1 is refused."""
    skeleton = json.dumps({"detections": [], "pad": ""})
    ml_server.mode = "raw"
    ml_server.raw_body = json.dumps(
        {"detections": [], "pad": "x" * (MAX_RESPONSE_BYTES + 1 - len(skeleton))}
    )
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoResponseError, match="larger than 1 MB"):
        await client.detect(frames.serve("/f.jpg", JPEG))


# --- Status codes and transport failures ------------------------------------------


async def test_server_error_is_a_connection_error(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """5xx from the ML server means it is unavailable."""
    ml_server.mode = "error_500"
    client = ObicoMlClient(session, ml_server.url)

    with pytest.raises(ObicoConnectionError, match="failed with HTTP 500"):
        await client.detect(frames.serve("/f.jpg", JPEG))


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (503, ObicoConnectionError, "failed with HTTP 503"),
        (404, ObicoResponseError, "unexpected HTTP 404"),
        (403, ObicoResponseError, "unexpected HTTP 403"),
        (301, ObicoResponseError, "unexpected HTTP 301"),
        (204, ObicoResponseError, "unexpected HTTP 204"),
    ],
)
async def test_other_statuses(
    session: aiohttp.ClientSession,
    frames: FrameHost,
    status: int,
    error: type[Exception],
    message: str,
) -> None:
    """Every other status maps to the error it deserves; redirects are not followed."""
    frames.serve("/p/", b"", "text/plain", status=status)
    client = ObicoMlClient(session, frames.url)

    with pytest.raises(error, match=message):
        await client.detect("http://127.0.0.1:9/f.jpg")

    assert frames.hits == {"/p/": 1}


async def test_stopped_server_is_a_connection_error(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession
) -> None:
    """Connection refused maps to ObicoConnectionError."""
    client = ObicoMlClient(session, ml_server.url)
    await ml_server.stop()

    with pytest.raises(ObicoConnectionError, match="cannot reach the ML server"):
        await client.detect("http://127.0.0.1:9/f.jpg")


async def test_slow_server_times_out(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A request longer than request_timeout is a connection error that says so."""
    ml_server.inference_delay = 1.0
    client = ObicoMlClient(session, ml_server.url, request_timeout=0.2)
    started = time.monotonic()

    with pytest.raises(ObicoConnectionError, match=r"^timed out after 0\.2 s$"):
        await client.detect(frames.serve("/f.jpg", JPEG))

    assert time.monotonic() - started < 0.9


async def test_session_timeout_is_reported_as_such(
    ml_server: FakeObicoMlServer, frames: FrameHost
) -> None:
    """A timeout of the session itself names aiohttp's reason, not ours."""
    ml_server.inference_delay = 1.0
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(sock_read=0.1)
    ) as short_session:
        client = ObicoMlClient(short_session, ml_server.url)
        with pytest.raises(ObicoConnectionError) as caught:
            await client.detect(frames.serve("/f.jpg", JPEG))

    assert str(caught.value).startswith("cannot reach the ML server: ")
    assert "timed out after" not in str(caught.value)


async def test_malformed_http_answer_does_not_leak_the_frame_url(
    session: aiohttp.ClientSession,
) -> None:
    """Errors that quote the request URL are reduced to their status."""
    server, url = await raw_http_server(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
    nonce = secrets.token_urlsafe(32)
    client = ObicoMlClient(session, url)
    try:
        with pytest.raises(ObicoConnectionError) as caught:
            await client.detect(f"http://127.0.0.1:8123/api/obico/frame/{nonce}")
    finally:
        server.close()
        await server.wait_closed()

    assert nonce not in str(caught.value)
    assert "frame" not in str(caught.value)
    assert str(caught.value).startswith("ClientResponseError: HTTP 400")


async def test_server_closing_the_connection_is_a_connection_error(
    session: aiohttp.ClientSession,
) -> None:
    """A server that hangs up without answering is unreachable."""
    server, url = await raw_http_server(b"")
    client = ObicoMlClient(session, url)
    try:
        with pytest.raises(ObicoConnectionError, match="Server disconnected"):
            await client.detect("http://127.0.0.1:9/f.jpg")
    finally:
        server.close()
        await server.wait_closed()


# --- Health ---------------------------------------------------------------------


async def test_health_ok_without_token(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession
) -> None:
    """/hc/ is not token-checked, so health passes without one."""
    server = await start_ml_server(token=TOKEN)
    client = ObicoMlClient(session, server.url)

    await client.health()

    assert server.requests == []


async def test_health_on_stopped_server_fails(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession
) -> None:
    """Connection refused on /hc/ is a connection error."""
    client = ObicoMlClient(session, ml_server.url)
    await ml_server.stop()

    with pytest.raises(ObicoConnectionError, match="cannot reach the ML server"):
        await client.health()


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (404, b"Not Found", ObicoResponseError, "HTTP 404 to /hc/"),
        (302, b"ok", ObicoResponseError, "HTTP 302 to /hc/"),
        (200, b"<html>nginx</html>", ObicoResponseError, "no ok from /hc/"),
        (200, b"error", ObicoNotReadyError, "model did not load"),
        (500, b"ok", ObicoServerError, "failed with HTTP 500"),
        (503, b"", ObicoServerError, "failed with HTTP 503"),
    ],
)
async def test_health_needs_obicos_ok(
    session: aiohttp.ClientSession,
    frames: FrameHost,
    status: int,
    body: bytes,
    error: type[Exception],
    message: str,
) -> None:
    """Only 200 "ok" is an Obico ML API that works; each other answer says why."""
    frames.serve("/hc/", body, "text/plain", status=status)
    client = ObicoMlClient(session, frames.url)

    with pytest.raises(error, match=message):
        await client.health()


async def test_health_takes_ok_with_its_newline(
    session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Flask's "ok" may come with whitespace around it."""
    frames.serve("/hc/", b"ok\n", "text/plain")
    await ObicoMlClient(session, frames.url).health()


REAL_SERVER_MESSAGES = [
    # obico-server's ml_api quotes its request args and the exception chain.
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'http://192.168.1.10:8123"
            "/api/obico/frame/…')]) - HTTPConnectionPool(host='192.168.1.10', port=8123)"
            ": Max retries exceeded with url: /api/obico/frame/… (Caused by "
            "ConnectTimeoutError(<urllib3.connection.HTTPConnection object at "
            "0x7f2b1c0d9a90>, 'Connection to 192.168.1.10 timed out. (connect "
            "timeout=0.1)'))"
        ),
        "the connection timed out",
    ),
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'http://ha.local:8123/api"
            "/obico/frame/…')]) - HTTPConnectionPool(host='ha.local', port=8123): Max "
            "retries exceeded with url: /api/obico/frame/… (Caused by NewConnection"
            "Error('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to "
            "establish a new connection: [Errno -2] Name or service not known'))"
        ),
        "its host name did not resolve",
    ),
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'http://10.0.0.5:8123/api"
            "/obico/frame/…')]) - HTTPConnectionPool(host='10.0.0.5', port=8123): Max "
            "retries exceeded with url: /api/obico/frame/… (Caused by NewConnection"
            "Error('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to "
            "establish a new connection: [Errno 111] Connection refused'))"
        ),
        "the connection was refused",
    ),
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'http://10.0.0.5:8123/api"
            "/obico/frame/…')]) - HTTPConnectionPool(host='10.0.0.5', port=8123): Max "
            "retries exceeded (Caused by NewConnectionError('<urllib3.connection."
            "HTTPConnection object at 0x7f>: Failed to establish a new connection: "
            "[Errno 113] No route to host'))"
        ),
        "there is no route to it",
    ),
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'https://ha.example/api/"
            "obico/frame/…')]) - HTTPSConnectionPool(host='ha.example', port=443): Max "
            "retries exceeded (Caused by SSLError(SSLCertVerificationError(1, '[SSL: "
            "CERTIFICATE_VERIFY_FAILED] certificate verify failed')))"
        ),
        "its TLS certificate was not accepted",
    ),
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'http://10.0.0.5:8123/api/"
            "obico/frame/…')]) - 404 Client Error: Not Found for url: http://10.0.0.5:"
            "8123/api/obico/frame/…"
        ),
        "Home Assistant answered HTTP 404",
    ),
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'http://10.0.0.5:8123/api/"
            "obico/frame/…')]) - OpenCV(4.5.4) /tmp/opencv/modules/imgcodecs/src/"
            "loadsave.cpp:802: error: (-215:Assertion failed) !buf.empty() in function "
            "'imdecode_'"
        ),
        "the picture could not be decoded",
    ),
    (
        (
            "Failed to get image ImmutableMultiDict([('img', 'http://10.0.0.5:8123/api/"
            "obico/frame/…')]) - something new went wrong"
        ),
        "Failed to get image - something new went wrong",
    ),
    ("", "no reason given"),
]


@pytest.mark.parametrize(("message", "reason"), REAL_SERVER_MESSAGES)
def test_frame_error_reason_is_the_gist_of_the_real_servers_message(
    message: str, reason: str
) -> None:
    """One line a user can act on, not the server's Python text."""
    assert frame_error_reason(message) == reason
    assert ObicoFrameError(message).reason == reason


async def test_health_times_out(
    session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A /hc/ slower than request_timeout fails with the timeout."""
    frames.serve("/hc/", b"ok", "text/plain", delay=1.0)
    client = ObicoMlClient(session, frames.url, request_timeout=0.1)

    with pytest.raises(ObicoConnectionError, match=r"timed out after 0\.1 s"):
        await client.health()


# --- Queueing -------------------------------------------------------------------


async def test_requests_reach_the_server_in_fifo_order(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """With one slot, tasks started A..F reach the server A..F, one at a time."""
    server = await start_ml_server(workers=6)
    server.inference_delay = 0.02
    client = ObicoMlClient(session, server.url, max_concurrent=1)
    urls = [frames.serve(f"/{name}.jpg", JPEG) for name in "ABCDEF"]

    tasks = [asyncio.create_task(client.detect(url)) for url in urls]
    await asyncio.gather(*tasks)

    assert [request.img for request in server.requests] == urls
    assert server.max_in_flight_seen == 1


async def test_late_caller_waits_behind_the_queue(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A caller arriving while others wait goes after them, not before."""
    server = await start_ml_server(workers=6)
    server.inference_delay = 0.05
    client = ObicoMlClient(session, server.url, max_concurrent=1)
    urls = [frames.serve(f"/{name}.jpg", JPEG) for name in "ABCD"]

    slot_held = asyncio.Event()
    early = [asyncio.create_task(client.detect(signalling(urls[0], slot_held)))]
    early += [asyncio.create_task(client.detect(url)) for url in urls[1:3]]
    await slot_held.wait()
    late = asyncio.create_task(client.detect(urls[3]))
    await asyncio.gather(*early, late)

    assert [request.img for request in server.requests] == urls


async def test_queue_time_does_not_count_towards_the_timeout(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Six queued 0.2 s requests all succeed under a 0.5 s request timeout."""
    ml_server.inference_delay = 0.2
    client = ObicoMlClient(session, ml_server.url, request_timeout=0.5)
    urls = [frames.serve(f"/{index}.jpg", JPEG) for index in range(6)]
    started = time.monotonic()

    results = await asyncio.gather(*(client.detect(url) for url in urls))

    assert results == [[]] * 6
    # The last one waited far longer than the timeout before it was sent.
    assert time.monotonic() - started >= 1.2
    assert ml_server.requests[-1].arrived_at - started >= 1.0


async def test_two_slots_keep_two_in_flight_and_never_three(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """max_concurrent=2 puts exactly two requests in flight at the server."""
    server = await start_ml_server(workers=2)
    server.inference_delay = 0.1
    client = ObicoMlClient(session, server.url, max_concurrent=2)
    urls = [frames.serve(f"/{index}.jpg", JPEG) for index in range(6)]

    await asyncio.gather(*(client.detect(url) for url in urls))

    assert client.max_concurrent == 2
    assert server.max_in_flight_seen == 2
    assert len(server.requests) == 6


async def test_image_url_callable_runs_only_once_the_slot_is_held(
    ml_server: FakeObicoMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Each callable runs after every earlier request has been fully answered."""
    ml_server.inference_delay = 0.05
    client = ObicoMlClient(session, ml_server.url, max_concurrent=1)
    calls: list[tuple[str, int, bool]] = []

    def stash(name: str) -> Callable[[], str]:
        def image_url() -> str:
            seen = ml_server.requests
            calls.append((name, len(seen), all(r.ended_at is not None for r in seen)))
            return frames.serve(f"/{name}.jpg", JPEG)

        return image_url

    await asyncio.gather(*(client.detect(stash(name)) for name in "ABC"))

    assert calls == [("A", 0, True), ("B", 1, True), ("C", 2, True)]
    assert [request.img for request in ml_server.requests] == [
        f"{frames.url}/{name}.jpg" for name in "ABC"
    ]


async def test_cancelled_waiter_does_not_leak_a_slot(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Cancelling a queued request neither loses nor adds a slot."""
    server = await start_ml_server(workers=6)
    server.inference_delay = 0.1
    client = ObicoMlClient(session, server.url, max_concurrent=1)
    url_a, url_b, url_c, url_d = (frames.serve(f"/{n}.jpg", JPEG) for n in "ABCD")

    slot_held = asyncio.Event()
    first = asyncio.create_task(client.detect(signalling(url_a, slot_held)))
    await slot_held.wait()
    waiter = asyncio.create_task(client.detect(url_b))
    await asyncio.sleep(0.01)  # it is now queued
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    rest = [asyncio.create_task(client.detect(url)) for url in (url_c, url_d)]

    async with asyncio.timeout(5):
        await asyncio.gather(first, *rest)

    assert [request.img for request in server.requests] == [url_a, url_c, url_d]
    assert server.max_in_flight_seen == 1


async def test_waiter_cancelled_after_being_woken_passes_the_slot_on(
    start_ml_server: StartMlServer, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A waiter cancelled just as the slot was handed to it gives the slot back."""
    server = await start_ml_server(workers=6)
    server.inference_delay = 0.05
    client = ObicoMlClient(session, server.url, max_concurrent=1)
    url_a, url_b, url_c = (frames.serve(f"/{n}.jpg", JPEG) for n in "ABC")
    waiter: asyncio.Task[list[Detection]] | None = None

    slot_held = asyncio.Event()

    async def first_then_cancel_the_waiter() -> None:
        await client.detect(signalling(url_a, slot_held))
        # The slot was just handed to the waiter, which has not run yet.
        assert waiter is not None
        waiter.cancel()

    first = asyncio.create_task(first_then_cancel_the_waiter())
    await slot_held.wait()
    waiter = asyncio.create_task(client.detect(url_b))
    third = asyncio.create_task(client.detect(url_c))

    async with asyncio.timeout(5):
        await first
        assert await third == []
    assert waiter.cancelled()
    assert [request.img for request in server.requests] == [url_a, url_c]
    assert server.max_in_flight_seen == 1


# --- Construction and URLs ------------------------------------------------------


def test_client_normalises_its_url(session: aiohttp.ClientSession) -> None:
    """The client keeps the normalised URL and its defaults."""
    client = ObicoMlClient(session, "HTTP://Obico.LAN:3333/ ")

    assert client.url == "http://obico.lan:3333"
    assert client.max_concurrent == 1
    assert DEFAULT_REQUEST_TIMEOUT == 30.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_concurrent": 0}, "max_concurrent"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"request_timeout": -1.0}, "request_timeout"),
    ],
)
def test_client_rejects_bad_limits(
    session: aiohttp.ClientSession, kwargs: dict[str, Any], message: str
) -> None:
    """A limit that would block every request is refused up front."""
    with pytest.raises(ValueError, match=message):
        ObicoMlClient(session, "http://obico.lan:3333", **kwargs)


def test_client_rejects_a_bad_url(session: aiohttp.ClientSession) -> None:
    """An invalid URL fails at construction, not at the first request."""
    with pytest.raises(ValueError, match="http:// or https://"):
        ObicoMlClient(session, "obico.lan:3333")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Obico.LAN:3333/ ", "http://obico.lan:3333"),
        ("http://obico.lan:3333", "http://obico.lan:3333"),
        ("  https://ML.example.com  ", "https://ml.example.com"),
        ("https://ml.example.com/Obico/ML/", "https://ml.example.com/Obico/ML"),
        ("http://10.0.0.5:3333//", "http://10.0.0.5:3333"),
        ("http://10.0.0.5:3333/?img=x#top", "http://10.0.0.5:3333"),
        ("http://10.0.0.5:3333?a=1", "http://10.0.0.5:3333"),
        ("http://10.0.0.5:80/", "http://10.0.0.5:80"),
        ("http://[FE80::1]:3333/", "http://[fe80::1]:3333"),
        ("http://[::1]", "http://[::1]"),
        ("http://obico:", "http://obico"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    """Equivalent spellings collapse to one canonical URL."""
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "obico.lan:3333",
        "obico.lan",
        "ftp://obico.lan",
        "file:///etc/passwd",
        "http://",
        "http:///path",
        "http://obico.lan:99999",
        "http://obico.lan:port",
        "http://user:pass@obico.lan",
        "http://token@obico.lan",
        "http://obi co.lan",
        "http://obico.lan/a b",
    ],
)
def test_normalize_url_rejects(url: str) -> None:
    """URLs that cannot name an HTTP server raise ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by cause
        normalize_url(url)
