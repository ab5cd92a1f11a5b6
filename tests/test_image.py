"""The last analyzed frame, fetched as the frontend fetches it.

Through Home Assistant's image proxy on its real port, with the token the
entity's picture URL carries; the loopback ML server fetches each frame and
answers with scripted boxes. Each test decodes the picture and looks for the
boxes where the ML server put them, in the colour of the printer's level.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import io
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.annotate import (
    FAILURE_COLOR,
    SAFE_COLOR,
    WARNING_COLOR,
    annotate,
)
from custom_components.obico.const import DOMAIN
from custom_components.obico.notifications import last_frame_entity_id
from tests.conftest import (
    PRINTER_ID,
    next_poll,
    start_print,
    state_of,
    watch_image_entity,
)
from tests.fakes import FakePrinter
from tests.obico_ml_server import FakeObicoMlServer, make_jpeg, make_png

LAST_FRAME = "image.x1c_last_analyzed_frame"
GREY = (128, 128, 128)
# A box whose edges are at x 220 and 420, y 190 and 290 of a 640x480 frame.
BOX = [320.0, 240.0, 200.0, 100.0]
EDGES = [(220, 240), (420, 240), (320, 190), (320, 290)]

type Color = tuple[int, int, int]


class Drawings:
    """The pictures Home Assistant's executor drew for the image entity."""

    def __init__(self) -> None:
        """Nothing drawn yet."""
        self.count = 0


@pytest.fixture
def drawings(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> Drawings:
    """Count the executor jobs that draw a frame; each still runs as it would."""
    seen = Drawings()
    run_in_executor = hass.async_add_executor_job

    def observed(target: Callable[..., Any], *args: Any) -> Any:
        if target is annotate:
            seen.count += 1
        return run_in_executor(target, *args)

    monkeypatch.setattr(hass, "async_add_executor_job", observed)
    return seen


@pytest.fixture
def printer(printer: FakePrinter) -> FakePrinter:
    """The test printer, its camera showing a plain grey 640x480 frame."""
    printer.camera.frame = make_jpeg(640, 480, GREY)
    return printer


async def fetch(hass: HomeAssistant, ha_url: str) -> tuple[int, str, bytes]:
    """The picture, fetched as the frontend does: status, content type, bytes."""
    state = hass.states.get(LAST_FRAME)
    assert state is not None
    async with (
        aiohttp.ClientSession() as session,
        session.get(ha_url + state.attributes["entity_picture"]) as response,
    ):
        return response.status, response.content_type, await response.read()


async def fetch_picture(hass: HomeAssistant, ha_url: str) -> Image.Image:
    """The picture, decoded: it must be a JPEG."""
    status, content_type, body = await fetch(hass, ha_url)
    assert (status, content_type) == (200, "image/jpeg")
    picture = Image.open(io.BytesIO(body))
    assert picture.format == "JPEG"
    return picture.convert("RGB")


def pixel(picture: Image.Image, x: int, y: int) -> Color:
    """One pixel, typed."""
    value = picture.getpixel((x, y))
    assert isinstance(value, tuple)
    return (value[0], value[1], value[2])


def close(actual: Color, expected: Color, tolerance: int = 40) -> bool:
    """Within JPEG's error of the expected colour."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def assert_outlined(
    picture: Image.Image, edges: list[tuple[int, int]], color: Color
) -> None:
    """Each point lies on an outline of that colour."""
    for x, y in edges:
        assert close(pixel(picture, x, y), color), (x, y, pixel(picture, x, y))


async def test_no_picture_before_the_first_frame(
    hass: HomeAssistant, ha_url: str, loaded_entry: MockConfigEntry
) -> None:
    """Unknown, and the proxy has nothing to serve."""
    assert state_of(hass, LAST_FRAME) == STATE_UNKNOWN
    status, _, _ = await fetch(hass, ha_url)
    assert status == 500


async def test_the_frame_shows_its_boxes_where_the_ml_server_saw_them(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_url: str,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """A calm print: the box in the safe colour, the faint one left out."""
    faint = ["failure", 0.15, [100.0, 400.0, 60.0, 40.0]]
    ml_server.script([["failure", 0.6, BOX], faint])
    await next_poll(hass, freezer)
    assert state_of(hass, "sensor.x1c_detection_state") == "safe"

    picture = await fetch_picture(hass, ha_url)
    seen = Image.open(io.BytesIO(ml_server.fetched[-1]))
    assert picture.size == seen.size == (640, 480)
    assert_outlined(picture, EDGES, SAFE_COLOR)
    # The frame itself, inside the box and where the faint box would be.
    for x, y in [(320, 240), (70, 400), (100, 380), (100, 420)]:
        assert close(pixel(picture, x, y), GREY), (x, y)


async def test_the_colour_follows_the_printers_level(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_url: str,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Spaghetti: the warning frame in amber, then the failure frame in red."""
    # Four boxes in one place; their edges at x 60 and 140, y 70 and 130.
    spaghetti = [["failure", 0.9, [100.0, 100.0, 80.0, 60.0]]] * 4
    edges = [(60, 100), (140, 100), (100, 70), (100, 130)]
    ml_server.script(spaghetti, spaghetti)
    await next_poll(hass, freezer)
    assert state_of(hass, "sensor.x1c_detection_state") == "warning"
    assert_outlined(await fetch_picture(hass, ha_url), edges, WARNING_COLOR)

    await next_poll(hass, freezer)
    assert printer.state.pause_presses == 1
    # The frame that paused the print, though the printer has paused since.
    assert_outlined(await fetch_picture(hass, ha_url), edges, FAILURE_COLOR)


async def test_the_state_is_the_time_of_the_frames_analysis(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """image_last_updated is when the ML server's answer was counted."""
    await next_poll(hass, freezer)
    first = dt_util.utcnow()
    assert state_of(hass, LAST_FRAME) == first.isoformat()
    printer = printing_entry.runtime_data.printers[PRINTER_ID]
    assert printer.last_analysis == first

    await next_poll(hass, freezer)
    assert datetime.fromisoformat(state_of(hass, LAST_FRAME)) == first + timedelta(
        seconds=11
    )


async def test_each_frame_is_drawn_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_url: str,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    drawings: Drawings,
) -> None:
    """However often it is fetched or refreshed, until the next frame."""
    assert await async_setup_component(hass, "homeassistant", {})
    ml_server.script([["failure", 0.6, BOX]], [["failure", 0.7, BOX]])
    await next_poll(hass, freezer)
    assert drawings.count == 0  # nobody looked yet
    analyzed = state_of(hass, LAST_FRAME)
    _, _, first = await fetch(hass, ha_url)
    _, _, again = await fetch(hass, ha_url)
    assert again == first
    assert drawings.count == 1

    # A refresh re-reads the state; no frame, no new picture.
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": LAST_FRAME}, blocking=True
    )
    assert state_of(hass, LAST_FRAME) == analyzed
    assert (await fetch(hass, ha_url))[2] == first
    assert drawings.count == 1

    await next_poll(hass, freezer)
    assert state_of(hass, LAST_FRAME) != analyzed
    _, _, second = await fetch(hass, ha_url)
    assert second != first
    assert drawings.count == 2


async def test_a_frame_analyzed_on_request_does_not_show(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_url: str,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """analyze_now counts for nothing: the picture stays the loop's last frame."""
    ml_server.script([["failure", 0.6, BOX]], [["failure", 0.9, [100, 100, 80, 60]]])
    await next_poll(hass, freezer)
    analyzed = state_of(hass, LAST_FRAME)
    _, _, before = await fetch(hass, ha_url)

    freezer.tick(timedelta(seconds=3))
    await hass.services.async_call(
        DOMAIN,
        "analyze_now",
        {"entity_id": LAST_FRAME},
        blocking=True,
        return_response=True,
    )
    assert len(ml_server.fetched) == 2
    assert state_of(hass, LAST_FRAME) == analyzed
    assert (await fetch(hass, ha_url))[2] == before


async def test_a_4k_frame_is_shown_as_the_ml_server_saw_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_url: str,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """Shrunk to fit 1280x960, with the box where the ML server found it."""
    printer.camera.frame = make_jpeg(3840, 2160, GREY)
    ml_server.script([["failure", 0.6, [640.0, 360.0, 200.0, 100.0]]])
    await next_poll(hass, freezer)

    picture = await fetch_picture(hass, ha_url)
    seen = Image.open(io.BytesIO(ml_server.fetched[-1]))
    assert picture.size == seen.size == (1280, 720)
    assert_outlined(
        picture, [(540, 360), (740, 360), (640, 310), (640, 410)], SAFE_COLOR
    )


async def test_a_png_of_an_image_entity_is_shown_as_a_jpeg(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_url: str,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """A printer's snapshot entity may serve PNG; the picture is a JPEG."""
    await watch_image_entity(hass, server_entry, make_png(640, 480, GREY))
    await start_print(hass, printer)
    ml_server.script([["failure", 0.6, BOX]])
    await next_poll(hass, freezer)

    picture = await fetch_picture(hass, ha_url)
    assert picture.size == (640, 480)
    assert_outlined(picture, EDGES, SAFE_COLOR)


async def test_the_last_frame_stays_after_the_print(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ha_url: str,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """The end of a print stays visible until the next print's first frame."""
    ml_server.script([["failure", 0.6, BOX]], [])
    await next_poll(hass, freezer)
    analyzed = state_of(hass, LAST_FRAME)
    _, _, shown = await fetch(hass, ha_url)

    printer.state.set("idle")
    await hass.async_block_till_done()
    assert state_of(hass, LAST_FRAME) == analyzed
    assert (await fetch(hass, ha_url))[2] == shown

    freezer.tick(timedelta(minutes=5))
    await start_print(hass, printer)
    assert state_of(hass, LAST_FRAME) == dt_util.utcnow().isoformat()
    # The new print's first frame, with nothing drawn: the camera's own JPEG.
    assert (await fetch(hass, ha_url))[2] == printer.camera.frame


async def test_a_restart_forgets_the_last_frame(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    ml_server: FakeObicoMlServer,
    printing_entry: MockConfigEntry,
) -> None:
    """Frames live in memory only: unknown again until the next one."""
    await next_poll(hass, freezer)
    assert state_of(hass, LAST_FRAME) != STATE_UNKNOWN
    assert await hass.config_entries.async_reload(printing_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, LAST_FRAME) == STATE_UNKNOWN


async def test_notifications_find_the_image_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Notifications find the picture by its key, however the user renamed it."""
    assert last_frame_entity_id(hass, PRINTER_ID) == LAST_FRAME
    entity_registry.async_update_entity(LAST_FRAME, new_entity_id="image.x1c_cam")
    assert last_frame_entity_id(hass, PRINTER_ID) == "image.x1c_cam"
