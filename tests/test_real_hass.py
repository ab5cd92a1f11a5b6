"""A real `hass` process, set up as a user sets it up, on each leg's release.

On the oldest leg it is the plugin's Home Assistant; on the newest, the newest
release itself (2026.11 today), installed in an environment of its own. It loads
the integration from the working tree; the server entry and a printer are
added through the config flow over the REST API; a loopback Obico ML server
fetches the frames of an image entity from Home Assistant's HTTP server; and
`obico.analyze_now` answers. Nothing in it is patched, not even time.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from custom_components.obico.const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_HA_URL,
    CONF_INTERVAL,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_PAUSED_STATES,
    CONF_PRESET,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    CONF_TOKEN,
    MIN_INTERVAL,
    SUBENTRY_PRINTER,
)
from custom_components.obico.persistence import storage_key
from tests.conftest import TOKEN
from tests.deprecation_guard import is_our_deprecation
from tests.obico_ml_server import FakeObicoMlServer, FrameHost, free_port, make_jpeg
from tests.real_hass import STARTUP_TIMEOUT, RealHass, real_hass

CONFIGURATION = """
api:
config:
input_select:
  x1c_status:
    options: [idle, running, pause]
    initial: running
template:
  - image:
      - name: Printer cam
        url: "{camera_url}"
logger:
  default: warning
  logs:
    custom_components.obico: debug
"""
FRAMES = "sensor.x1c_frames_analyzed"


async def add_server_and_printer(hass: RealHass, ml_url: str) -> str:
    """Add the ML server and a printer through the config flows; the entry id."""
    server = await hass.flow(
        "/api/config/config_entries/flow",
        {"handler": "obico"},
        {
            CONF_ML_URL: ml_url,
            CONF_TOKEN: TOKEN,
            CONF_HA_URL: hass.url,
            CONF_MAX_CONCURRENT: 1,
        },
    )
    assert server["type"] == "create_entry", server
    entry_id: str = server["result"]["entry_id"]
    printer = await hass.flow(
        "/api/config/config_entries/subentries/flow",
        {"handler": [entry_id, SUBENTRY_PRINTER]},
        {CONF_PRESET: "bambu_lab", CONF_ACTION: "notify"},
        {
            "name": "X1C",
            CONF_FRAME_ENTITY: "image.printer_cam",
            CONF_PRINT_STATE_ENTITY: "input_select.x1c_status",
            CONF_PRINTING_STATES: ["running"],
            CONF_PAUSED_STATES: ["pause"],
            CONF_SENSITIVITY: 1.0,
            CONF_INTERVAL: MIN_INTERVAL,
        },
    )
    assert printer["type"] == "create_entry", printer
    return entry_id


async def wait_for_frames(ml_server: FakeObicoMlServer, count: int) -> None:
    """Wait until the ML server has fetched ``count`` frames."""
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while len(ml_server.fetched) < count:
            ml_server.frame_fetched.clear()
            await ml_server.frame_fetched.wait()


@pytest.mark.timeout(2 * STARTUP_TIMEOUT + 120)
async def test_real_home_assistant_set_up_through_its_api(
    tmp_path: Path, ml_server: FakeObicoMlServer, frame_host: FrameHost
) -> None:
    """Onboard, add a server and a printer, see frames analyzed, ask for one."""
    picture = make_jpeg(640, 480)
    camera_url = frame_host.serve("/snapshot.jpg", picture)
    config = tmp_path / "config"
    configuration = CONFIGURATION.format(camera_url=camera_url)

    async with real_hass(config, free_port(), configuration) as hass:
        try:
            entry_id = await add_server_and_printer(hass, ml_server.url)
            # The config flow's test frame, then three of the camera's: the
            # third proves the answer to the second was applied, as polls are
            # spaced from the end of the previous one.
            await wait_for_frames(ml_server, 4)
            # Enough for any poll that comes first, too.
            ml_server.script(*[[["failure", 0.5, [320.0, 240.0, 40.0, 30.0]]]] * 20)
            answer = await hass.request(
                "POST",
                "/api/services/obico/analyze_now?return_response",
                json={"entity_id": FRAMES},
            )
        except (AssertionError, TimeoutError) as err:
            pytest.fail(f"{err!r}; the log ends:\n{hass.log()[-5000:]}")
        frames_analyzed = int(await hass.state_value(FRAMES) or 0)
    log = hass.log()

    assert hass.process.returncode == 0, log[-3000:]
    (printer,) = answer["service_response"]["printers"].values()
    assert printer["printer"] == "X1C"
    assert printer["p"] == 0.5
    assert printer["detections"] == [
        {"label": "failure", "confidence": 0.5, "box": [320.0, 240.0, 40.0, 30.0]}
    ]
    # The ML server saw the test frame of the config flow, then the camera's
    # own picture, served by Home Assistant, always with the token.
    assert {request.authorization for request in ml_server.requests} == {
        f"Bearer {TOKEN}"
    }
    assert ml_server.fetched[1:3] == [picture, picture]
    assert [line for line in log.splitlines() if is_our_deprecation(line)] == []
    assert "custom_components/obico" not in log, "a traceback through our code"
    assert "Error setting up entry" not in log
    entries = json.loads((config / ".storage" / "core.config_entries").read_text())
    (entry,) = [e for e in entries["data"]["entries"] if e["entry_id"] == entry_id]
    (subentry,) = entry["subentries"]
    stored_at = config / ".storage" / storage_key(subentry["subentry_id"])
    stored = json.loads(stored_at.read_text())
    assert stored["data"]["phase"] == "printing"
    assert frames_analyzed >= 2
    assert stored["data"]["prediction"]["current_frame_num"] >= frames_analyzed


@pytest.mark.timeout(2 * STARTUP_TIMEOUT + 180)
async def test_a_crash_mid_print_loses_at_most_thirty_seconds(
    tmp_path: Path, ml_server: FakeObicoMlServer, frame_host: FrameHost
) -> None:
    """Killed with SIGKILL after a minute of frames: what is on disk is recent."""
    camera_url = frame_host.serve("/snapshot.jpg", make_jpeg(640, 480))
    config = tmp_path / "config"
    configuration = CONFIGURATION.format(camera_url=camera_url)

    async with real_hass(config, free_port(), configuration) as hass:
        try:
            entry_id = await add_server_and_printer(hass, ml_server.url)
            # The config flow's test frame, then six of the camera's.
            await wait_for_frames(ml_server, 7)
            frames_analyzed = int(await hass.state_value(FRAMES) or 0)
        except (AssertionError, TimeoutError) as err:
            pytest.fail(f"{err!r}; the log ends:\n{hass.log()[-5000:]}")
        hass.process.kill()
        await hass.process.wait()

    entries = json.loads((config / ".storage" / "core.config_entries").read_text())
    (entry,) = [e for e in entries["data"]["entries"] if e["entry_id"] == entry_id]
    (subentry,) = entry["subentries"]
    stored_at = config / ".storage" / storage_key(subentry["subentry_id"])
    prediction = json.loads(stored_at.read_text())["data"]["prediction"]
    # At one frame every MIN_INTERVAL s, 30 s are this many frames.
    lost_at_most = 30 // MIN_INTERVAL
    assert frames_analyzed >= 5
    assert frames_analyzed - prediction["current_frame_num"] <= lost_at_most
    assert frames_analyzed - prediction["lifetime_frame_num"] <= lost_at_most
