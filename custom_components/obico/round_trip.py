"""One frame's round trip: capture → shrink → stash → ask the ML server.

Written once, for the detection loop, ``analyze_now`` and the config flow's
end-to-end check. Whatever goes wrong is sorted by where it came from:
``CaptureError`` for anything the camera or image entity did (an exception, no
answer, bytes that are not a JPEG or PNG), ``ObicoError`` for anything the ML
server did. Nothing else escapes.
"""

from __future__ import annotations

import asyncio
import io
from typing import NamedTuple

from homeassistant.components import camera, image
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from PIL import Image

from .api import Detection, ObicoFrameError, ObicoMlClient
from .const import CAMERA_TIMEOUT
from .frames import Frame, FrameStore, frame_path
from .pictures import QUARTER_TURNS, as_rgb, orientation_of, turn_upright

# Obico's server shrinks every frame whose long side exceeds 1296 px to fit
# 1280x960 before its ML API sees it (cap_image_size): the model is tuned on
# frames that size, and a 4K frame would cost the ML server a 4K decode.
SHRINK_ABOVE = 1296
SHRINK_TO = (1280, 960)

_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


class CaptureError(Exception):
    """The camera or image entity gave no usable frame."""


class Analysis(NamedTuple):
    """What the ML server saw (the frame after the size cap) and what it found."""

    frame: Frame
    detections: list[Detection]


async def async_capture(hass: HomeAssistant, entity_id: str) -> Frame:
    """Take a frame from a camera or image entity, as Home Assistant has it."""
    try:
        # The components time out on their own; this bounds an entity that
        # never answers them either.
        async with asyncio.timeout(CAMERA_TIMEOUT + 1):
            if entity_id.startswith("image."):
                content = (
                    await image.async_get_image(hass, entity_id, CAMERA_TIMEOUT)
                ).content
            else:
                content = (
                    await camera.async_get_image(hass, entity_id, CAMERA_TIMEOUT)
                ).content
    except TimeoutError as err:
        raise CaptureError(
            f"{entity_id} sent no frame within {CAMERA_TIMEOUT} s"
        ) from err
    except Exception as err:
        raise CaptureError(f"{entity_id} failed: {err or type(err).__name__}") from err
    return Frame(content, _content_type(entity_id, content))


def _content_type(entity_id: str, content: bytes) -> str:
    """What the bytes are, whatever the entity says they are."""
    for signature, content_type in _SIGNATURES.items():
        if content.startswith(signature):
            return content_type
    raise CaptureError(
        f"{entity_id} sent {len(content)} bytes that are not a JPEG or PNG image"
    )


def shrink(frame: Frame) -> Frame:
    """The frame as Obico's server would pass it on: at most 1280x960, or as it was.

    Frames up to SHRINK_ABOVE px on their long side come back byte for byte;
    larger ones as a JPEG that fits SHRINK_TO, resized as Obico resizes them.
    The picture is what the ML server's OpenCV would have decoded from the
    original: turned by its EXIF orientation, without alpha, at 8 bits.
    Runs in an executor: decoding a 4K frame takes tens of milliseconds.
    """
    try:
        with Image.open(io.BytesIO(frame.content)) as picture:
            if max(picture.size) <= SHRINK_ABOVE:
                return frame
            output = io.BytesIO()
            _fitted(picture).save(output, format="JPEG")
    except Exception as err:  # Pillow raises many kinds on bad data
        raise CaptureError(f"the frame could not be decoded: {err}") from err
    return Frame(output.getvalue(), "image/jpeg")


def _fitted(picture: Image.Image) -> Image.Image:
    """The picture upright, in RGB, fitting SHRINK_TO."""
    orientation = orientation_of(picture)
    # Sized before it is turned, so that a JPEG is still decoded at a reduced
    # size, as Obico's thumbnail does: the turned picture then fits the box.
    box = SHRINK_TO[::-1] if orientation in QUARTER_TURNS else SHRINK_TO
    if picture.mode not in ("RGB", "L"):
        # Resized with alpha, or as a palette, a picture would not look as
        # OpenCV shows it: transparent pixels black, palettes resized NEAREST.
        picture = as_rgb(picture)
    picture.thumbnail(box, Image.Resampling.LANCZOS)
    return turn_upright(picture, orientation).convert("RGB")


def frame_base_url(hass: HomeAssistant, override: str | None) -> str:
    """Where the ML server reaches Home Assistant: the server entry's URL, or its own."""
    if override:
        return override
    try:
        return get_url(hass, allow_internal=True, prefer_external=False, allow_ip=True)
    except NoURLAvailableError as err:
        raise ObicoFrameError(
            "Home Assistant has no URL the ML server could use; set one on the server entry"
        ) from err


async def async_analyze(
    hass: HomeAssistant,
    client: ObicoMlClient,
    frames: FrameStore,
    base_url: str,
    frame: Frame,
) -> Analysis:
    """Shrink the frame, serve it once at ``base_url`` and have the ML server analyze it."""
    frame = await hass.async_add_executor_job(shrink, frame)
    if len(frame.content) > frames.max_bytes:
        raise CaptureError(
            f"a frame of {len(frame.content)} bytes is larger than the "
            f"{frames.max_bytes} bytes allowed"
        )
    nonces: list[str] = []

    def stash() -> str:
        # Called once the request has its turn, so the frame does not age in
        # the queue towards its expiry.
        nonces.append(frames.stash(frame.content, frame.content_type))
        return base_url + frame_path(nonces[-1])

    # The URL the ML server is given, as it may be shown: without its secret.
    shown_url = base_url + frame_path("…")
    try:
        detections = await client.detect(stash)
    except ObicoFrameError as err:
        err.frame_url = shown_url
        raise
    finally:
        never_fetched = bool(nonces) and frames.discard(nonces[-1])
    if never_fetched:
        # Servers built before 2024 answer [] without saying that they could
        # not fetch the frame; an unfetched frame proves it.
        raise ObicoFrameError(
            "the ML server answered without fetching the frame", frame_url=shown_url
        )
    return Analysis(frame, detections)
