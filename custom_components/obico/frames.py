"""One-time frame store and the unauthenticated view the ML server fetches from.

The Obico ML API only accepts a frame as a URL it fetches itself, so each frame
is stashed under a 256-bit random nonce and served exactly once from
``/api/obico/frame/{nonce}``. The nonce is the only credential: it is never
logged, and unknown, used and expired nonces all get the same bare 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING

from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

FRAME_TTL = 30.0
MAX_FRAMES = 32
MAX_TOTAL_BYTES = 64 * 1024 * 1024
FRAME_VIEW_URL = "/api/obico/frame/{nonce}"
REDACTED_NONCE = "…"

# token_urlsafe draws from this alphabet; nothing else can be part of a nonce.
_FRAME_NONCE_IN_TEXT = re.compile(
    re.escape(FRAME_VIEW_URL.removesuffix("{nonce}")) + "[A-Za-z0-9_-]+"
)

_FRAME_STORE: HassKey[FrameStore] = HassKey(f"{DOMAIN}_frame_store")


@dataclass(frozen=True, slots=True)
class Frame:
    """A captured frame: its bytes and their content type."""

    content: bytes
    content_type: str


class FrameTooLargeError(ValueError):
    """A single frame is larger than the whole store may hold."""


@dataclass(frozen=True, slots=True)
class _Entry:
    frame: Frame
    stashed_at: float


class FrameStore:
    """Frames waiting to be fetched once, bounded by age, count and bytes."""

    def __init__(
        self,
        *,
        ttl: float = FRAME_TTL,
        max_frames: int = MAX_FRAMES,
        max_bytes: int = MAX_TOTAL_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Set the bounds; ``clock`` must never go backwards."""
        if ttl <= 0 or max_frames < 1 or max_bytes < 1:
            raise ValueError("ttl, max_frames and max_bytes must be positive")
        self._ttl = ttl
        self._max_frames = max_frames
        self._max_bytes = max_bytes
        self._clock = clock
        # Insertion order is age order, so the oldest entry is always first.
        self._entries: dict[str, _Entry] = {}
        self._total_bytes = 0

    def __len__(self) -> int:
        """Return how many frames are held, counting expired ones not yet purged."""
        return len(self._entries)

    @property
    def max_bytes(self) -> int:
        """The most bytes the store holds; no frame may be larger."""
        return self._max_bytes

    @property
    def total_bytes(self) -> int:
        """Bytes held, counting expired frames not yet purged."""
        return self._total_bytes

    def stash(self, content: bytes, content_type: str) -> str:
        """Store a frame and return the nonce that serves it once.

        The oldest frames make room for it; a frame larger than the whole
        store raises FrameTooLargeError and evicts nothing.
        """
        size = len(content)
        if size > self._max_bytes:
            raise FrameTooLargeError(
                f"frame of {size} bytes exceeds the store's {self._max_bytes} bytes"
            )
        self._purge_expired()
        while self._entries and (
            len(self._entries) >= self._max_frames
            or self._total_bytes + size > self._max_bytes
        ):
            self._pop(next(iter(self._entries)))
        # 256 random bits: a collision with a live nonce is not a real risk.
        nonce = secrets.token_urlsafe(32)
        self._entries[nonce] = _Entry(Frame(content, content_type), self._clock())
        self._total_bytes += size
        return nonce

    def take(self, nonce: str) -> Frame | None:
        """Return the frame and forget it, or None if unknown, used or expired."""
        self._purge_expired()
        return self._pop(nonce)

    def discard(self, nonce: str) -> bool:
        """Forget a frame nobody fetched; True if it was still waiting."""
        self._purge_expired()
        return self._pop(nonce) is not None

    def _pop(self, nonce: str) -> Frame | None:
        entry = self._entries.pop(nonce, None)
        if entry is None:
            return None
        self._total_bytes -= len(entry.frame.content)
        return entry.frame

    def _purge_expired(self) -> None:
        now = self._clock()
        # Entries are in age order, so the first live one ends the purge.
        while self._entries:
            nonce, entry = next(iter(self._entries.items()))
            if now - entry.stashed_at < self._ttl:
                return
            self._pop(nonce)


def frame_path(nonce: str) -> str:
    """Return the path at which the view serves the frame stashed as ``nonce``."""
    return FRAME_VIEW_URL.format(nonce=nonce)


def redact_frame_urls(text: str) -> str:
    """Return ``text`` with the nonce of every frame URL or path replaced by "…".

    For messages that quote a frame URL (the ML server's errors do) and are
    about to be logged or shown: the host stays readable, the secret does not.
    """
    return _FRAME_NONCE_IN_TEXT.sub(frame_path(REDACTED_NONCE), text)


class FrameView(HomeAssistantView):
    """Serve each stashed frame once, without authentication."""

    url = FRAME_VIEW_URL
    name = "api:obico:frame"
    # The ML server has no Home Assistant credentials; the nonce stands in.
    requires_auth = False

    def __init__(self, store: FrameStore) -> None:
        """Serve frames from ``store``."""
        self._store = store

    async def get(self, request: web.Request, nonce: str) -> web.Response:
        """Answer the frame once; any other request gets a bare 404."""
        frame = self._store.take(nonce)
        if frame is None:
            _LOGGER.debug("Frame requested that is unknown, used or expired")
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=frame.content,
            headers={
                "Content-Type": frame.content_type,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )


@callback
def async_get_frame_store(hass: HomeAssistant) -> FrameStore:
    """Return the process-wide frame store, registering its view the first time.

    Views cannot be unregistered, so the store and its view live until Home
    Assistant stops, across reloads of every config entry.
    """
    if (store := hass.data.get(_FRAME_STORE)) is None:
        store = hass.data[_FRAME_STORE] = FrameStore()
        hass.http.register_view(FrameView(store))
    return store
