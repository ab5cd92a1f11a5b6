"""Client for the self-hosted Obico ML API (``GET /hc/`` and ``GET /p/?img=``).

The server fetches the frame itself from the URL it is given and runs ONE
synchronous worker, so this client keeps a fair FIFO queue per server and only
starts the request timeout once a request has its turn.

Nothing here imports Home Assistant: the caller hands over an aiohttp session.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
import json
import logging
import re
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .parsing import finite_number

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT = 30.0
MAX_RESPONSE_BYTES = 1_048_576

_READ_CHUNK_BYTES = 65_536
_MAX_MESSAGE_CHARS = 200
# A frame URL's last path segment is a one-time secret (43 characters); shorter
# segments are ordinary names and are left readable.
_MIN_SECRET_SEGMENT_CHARS = 16
_REDACTED = "…"


class ObicoError(Exception):
    """Base class for every error talking to the Obico ML API."""


class ObicoConnectionError(ObicoError):
    """Nothing answered at the ML server's address, or not in time."""


class ObicoServerError(ObicoConnectionError):
    """The ML server answered with a server error (5xx)."""

    def __init__(self, status: int) -> None:
        """Keep the status, which is all a 5xx says."""
        super().__init__(f"the ML server failed with HTTP {status}")
        self.status = status


class ObicoNotReadyError(ObicoError):
    """The ML server is up, but says its model did not load (``/hc/`` is "error")."""


class ObicoAuthError(ObicoError):
    """The ML server rejected the request for want of the right token (HTTP 401)."""

    def __init__(self, *, token_sent: bool) -> None:
        """Say whether a token was sent: refused, or needed."""
        super().__init__(
            "the ML server rejected the token"
            if token_sent
            else "the ML server needs a token"
        )
        self.token_sent = token_sent


class ObicoFrameError(ObicoError):
    """The ML server could not fetch, decode or analyze the frame (HTTP 400).

    ``server_message`` is the server's own explanation, with the frame URL's
    one-time secret redacted; ``reason`` is its gist in a few words, without
    the Python text the real server adds. ``frame_url`` is the URL the server
    was given, its secret redacted, when the caller knows it.
    """

    def __init__(self, server_message: str, *, frame_url: str | None = None) -> None:
        """Keep the server's message, and its gist."""
        self.server_message = server_message
        self.reason = frame_error_reason(server_message)
        self.frame_url = frame_url
        super().__init__(f"the ML server could not use the frame: {self.reason}")


class ObicoResponseError(ObicoError):
    """The ML server answered something this client cannot trust."""


class Detection(NamedTuple):
    """One detection: a label, its confidence and a pixel box (xc, yc, w, h)."""

    label: str
    confidence: float
    box: tuple[float, float, float, float]


def normalize_url(url: str) -> str:
    """Return the canonical form of an ML server URL, or raise ValueError.

    "HTTP://Obico.LAN:3333/ " becomes "http://obico.lan:3333". The result is the
    server entry's unique id, so equivalent spellings must collapse to one.
    """
    url = url.strip()
    if not url or any(char.isspace() for char in url):
        raise ValueError("the URL must not be empty or contain spaces")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("the URL must start with http:// or https://")
    host = parts.hostname
    if not host:
        raise ValueError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        # It would end up in the unique id and in logs; the token is the way in.
        raise ValueError("credentials in the URL are not supported; use the token")
    port = parts.port  # Raises ValueError itself for a malformed port.
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


class ObicoMlClient:
    """Talks to one Obico ML server with a fair, bounded queue of requests."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        token: str | None = None,
        max_concurrent: int = 1,
        request_timeout: float | None = None,
    ) -> None:
        """Set up the client; ``url`` is normalised (ValueError if invalid).

        ``request_timeout`` defaults to DEFAULT_REQUEST_TIMEOUT.
        """
        if request_timeout is None:
            request_timeout = DEFAULT_REQUEST_TIMEOUT
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        if request_timeout <= 0:
            raise ValueError("request_timeout must be positive")
        self._session = session
        self._url = normalize_url(url)
        self._token = token.strip() if token and token.strip() else None
        self._max_concurrent = max_concurrent
        self._request_timeout = request_timeout
        # asyncio.Semaphore hands slots out first-come first-served and gives a
        # slot back when a woken waiter is cancelled, so printers share fairly.
        self._slots = asyncio.Semaphore(max_concurrent)

    @property
    def url(self) -> str:
        """The normalised base URL of the ML server."""
        return self._url

    @property
    def max_concurrent(self) -> int:
        """How many requests this client keeps in flight at most."""
        return self._max_concurrent

    async def health(self) -> None:
        """Raise unless ``GET /hc/`` answers ``ok``, as the Obico ML API does.

        ObicoConnectionError: nothing answers (ObicoServerError: a 5xx).
        ObicoNotReadyError: the server answers ``error``, its model did not
        load. ObicoResponseError: something answers, but not as an Obico ML API. It does not queue behind
        detections: it is cheap, and it is how a caller tells "server down"
        from "server busy".
        """
        try:
            async with (
                asyncio.timeout(self._request_timeout),
                self._session.get(
                    f"{self._url}/hc/", allow_redirects=False
                ) as response,
            ):
                status = response.status
                body = (await _read_capped(response)).decode("utf-8", "replace")
        except (aiohttp.ClientError, OSError) as err:
            raise self._connection_error(err) from err
        answer = body.strip()
        if status == HTTPStatus.OK and answer == "ok":
            return
        if status == HTTPStatus.OK and answer == "error":
            raise ObicoNotReadyError("the ML server's model did not load")
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise ObicoServerError(status)
        raise ObicoResponseError(
            f"HTTP {status} to /hc/" if status != HTTPStatus.OK else "no ok from /hc/"
        )

    async def detect(self, image_url: str | Callable[[], str]) -> list[Detection]:
        """Ask the ML server to analyze the frame at ``image_url``.

        ``image_url`` may be a callable: it is called only once this request has
        its turn, so a frame stashed there does not age in the queue. Returns
        the detections, or ``[]`` for "nothing seen". Servers built before 2024
        also answer ``[]`` when they failed; that cannot be told apart.
        """
        async with self._slots:
            url = image_url() if callable(image_url) else image_url
            try:
                async with asyncio.timeout(self._request_timeout):
                    return await self._request_detections(url)
            except (aiohttp.ClientError, OSError) as err:
                raise self._connection_error(err) from err

    async def _request_detections(self, image_url: str) -> list[Detection]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        # Redirects are not followed: aiohttp would drop the token on a change
        # of origin, and a plain "HTTP 301" says more than the 401 that follows.
        async with self._session.get(
            f"{self._url}/p/",
            params={"img": image_url},
            headers=headers,
            allow_redirects=False,
        ) as response:
            status = response.status
            _LOGGER.debug("ML server answered HTTP %s", status)
            if status == HTTPStatus.OK:
                return _parse_detections(await _read_capped(response))
            if status == HTTPStatus.BAD_REQUEST:
                message = _frame_error_message(await _read_capped(response))
                raise ObicoFrameError(_redact_frame_secret(message, image_url))
        raise _status_error(status, token_sent=bool(headers))

    def _connection_error(
        self, err: aiohttp.ClientError | OSError
    ) -> ObicoConnectionError:
        # A ClientResponseError's text carries the request URL, whose query
        # holds the frame URL and its one-time secret: keep only the status.
        if isinstance(err, aiohttp.ClientResponseError):
            return ObicoConnectionError(f"{type(err).__name__}: HTTP {err.status}")
        # aiohttp's own timeouts (the session's) say which phase timed out.
        if isinstance(err, aiohttp.ClientError) or not isinstance(err, TimeoutError):
            reason = str(err) or type(err).__name__
            return ObicoConnectionError(f"cannot reach the ML server: {reason}")
        return ObicoConnectionError(f"timed out after {self._request_timeout:g} s")


def _status_error(status: int, *, token_sent: bool) -> ObicoError:
    if status == HTTPStatus.UNAUTHORIZED:
        return ObicoAuthError(token_sent=token_sent)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ObicoServerError(status)
    if status == HTTPStatus.UNPROCESSABLE_ENTITY:
        return ObicoResponseError("the ML server rejected the request (HTTP 422)")
    return ObicoResponseError(f"unexpected HTTP {status} from the ML server")


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """Read the body, refusing to hold more than MAX_RESPONSE_BYTES of it."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(_READ_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise ObicoResponseError("response larger than 1 MB")
    return bytes(body)


def _frame_error_message(body: bytes) -> str:
    """Return the "message" of a 400 answer, or the start of its text."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return str(payload["message"])
    text = body.decode("utf-8", errors="replace").strip()
    return text[:_MAX_MESSAGE_CHARS] or "no reason given"


# What went wrong fetching a frame, in the words of the libraries the real
# server (requests, urllib3, OpenCV) and the simulator (aiohttp) use, and in ours.
_FRAME_ERROR_REASONS = (
    (r"timed? ?out", "the connection timed out"),
    (r"refused|connect call failed|cannot connect", "the connection was refused"),
    (
        (
            r"name or service not known|nodename nor servname|getaddrinfo|"
            r"name resolution|does not resolve|resolve host"
        ),
        "its host name did not resolve",
    ),
    (r"no route to host|network is unreachable", "there is no route to it"),
    (r"ssl|certificate", "its TLS certificate was not accepted"),
    (r"\b([45]\d\d)\b", r"Home Assistant answered HTTP \1"),
    (r"decode|imdecode|cannot identify|nonetype", "the picture could not be decoded"),
)
_PYTHON_NOISE = re.compile(
    r"ImmutableMultiDict\(.*?\)\]?\)|<[^>]*object at 0x[0-9a-f]+>|https?://\S+"
)


def frame_error_reason(server_message: str) -> str:
    """The gist of the ML server's 'Failed to get image ...' message, in a line.

    The real server quotes its request arguments and the repr of the Python
    exception chain; only what went wrong is worth showing.
    """
    for pattern, reason in _FRAME_ERROR_REASONS:
        if match := re.search(pattern, server_message, re.IGNORECASE):
            return match.expand(reason)
    text = _PYTHON_NOISE.sub(
        "", server_message.splitlines()[0] if server_message else ""
    )
    text = " ".join(text.split()).strip(" -:")
    return text[:_MAX_MESSAGE_CHARS] or "no reason given"


def _redact_frame_secret(message: str, image_url: str) -> str:
    """Hide the frame URL's one-time secret, which the server quotes back."""
    secret = urlsplit(image_url).path.rsplit("/", 1)[-1]
    if len(secret) < _MIN_SECRET_SEGMENT_CHARS:
        return message
    return message.replace(secret, _REDACTED)


def _parse_detections(body: bytes) -> list[Detection]:
    try:
        payload = json.loads(body)
    except ValueError as err:
        raise ObicoResponseError("the ML server did not answer JSON") from err
    except RecursionError as err:
        # Small enough to pass the size cap, yet nested too deep to parse.
        raise ObicoResponseError("the ML server answered JSON nested too deep") from err
    if payload == []:
        # Pre-2024 servers answer a bare [] for "nothing seen" and for errors.
        return []
    if not isinstance(payload, dict) or "detections" not in payload:
        raise ObicoResponseError("wrong shape: no detections in the answer")
    entries = payload["detections"]
    if not isinstance(entries, list):
        raise ObicoResponseError("wrong shape: detections is not a list")
    detections = [_parse_detection(entry) for entry in entries]
    # One bad entry discredits the whole answer: garbage is never half-trusted.
    if None in detections:
        raise ObicoResponseError("wrong shape: malformed detection")
    return [detection for detection in detections if detection is not None]


def _parse_detection(entry: Any) -> Detection | None:
    """Return the detection, or None if ``entry`` is not [label, p, [4 numbers]]."""
    if not isinstance(entry, list) or len(entry) != 3:
        return None
    label, raw_confidence, raw_box = entry
    confidence = finite_number(raw_confidence)
    if not isinstance(label, str) or confidence is None or not 0 <= confidence <= 1:
        return None
    if not isinstance(raw_box, list) or len(raw_box) != 4:
        return None
    box = [finite_number(value) for value in raw_box]
    xc, yc, width, height = box
    if xc is None or yc is None or width is None or height is None:
        return None
    return Detection(label, confidence, (xc, yc, width, height))
