"""A real `hass` process, started the way scripts/develop starts it.

It loads the integration from the working tree, watches a printer whose frames
come from an image entity, and a loopback Obico ML server fetches those frames
from its HTTP server. Nothing in it is patched, not even time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import os
from pathlib import Path
import signal
import sys

from homeassistant.config_entries import ConfigSubentryDataWithId
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico.const import (
    CONF_ACTION,
    CONF_FRAME_ENTITY,
    CONF_HA_URL,
    CONF_INTERVAL,
    CONF_MAX_CONCURRENT,
    CONF_ML_URL,
    CONF_PAUSED_STATES,
    CONF_PRINT_STATE_ENTITY,
    CONF_PRINTING_STATES,
    CONF_SENSITIVITY,
    CONF_TOKEN,
    DOMAIN,
    SUBENTRY_PRINTER,
)
from custom_components.obico.coordinator import storage_key
from tests.conftest import TOKEN
from tests.obico_ml_server import FakeObicoMlServer, FrameHost, free_port, make_jpeg

REPO = Path(__file__).resolve().parents[1]
PRINTER_ID = "01JREALHASSPRINTER00000000"
STARTUP_TIMEOUT = 180  # a cold start imports much of Home Assistant


def _write_config(config: Path, port: int, camera_url: str, ml_url: str) -> None:
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(
        f"""
http:
  server_host: 127.0.0.1
  server_port: {port}
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
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Obico ML API",
        unique_id=ml_url,
        data={
            CONF_ML_URL: ml_url,
            CONF_TOKEN: TOKEN,
            CONF_HA_URL: f"http://127.0.0.1:{port}",
            CONF_MAX_CONCURRENT: 1,
        },
        subentries_data=[
            ConfigSubentryDataWithId(
                data={
                    CONF_FRAME_ENTITY: "image.printer_cam",
                    CONF_PRINT_STATE_ENTITY: "input_select.x1c_status",
                    CONF_PRINTING_STATES: ["running"],
                    CONF_PAUSED_STATES: ["pause"],
                    CONF_ACTION: "notify",
                    CONF_SENSITIVITY: 1.0,
                    CONF_INTERVAL: 5,
                },
                subentry_id=PRINTER_ID,
                subentry_type=SUBENTRY_PRINTER,
                title="X1C",
                unique_id="image.printer_cam",
            )
        ],
    )
    storage = config / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / "core.config_entries").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 5,
                "key": "core.config_entries",
                "data": {"entries": [entry.as_dict()]},
            }
        )
    )


@pytest.fixture
async def frame_host(socket_enabled: None) -> AsyncGenerator[FrameHost]:
    """Where the image entity gets its picture: a camera's snapshot URL."""
    host = FrameHost()
    await host.start()
    yield host
    await host.stop()


def _log(config: Path) -> str:
    log = config / "home-assistant.log"
    return log.read_text() if log.exists() else "(no log written)"


async def _wait_for_frames(server: FakeObicoMlServer, count: int) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT):
        while len(server.fetched) < count:
            server.frame_fetched.clear()
            await server.frame_fetched.wait()


@pytest.mark.timeout(STARTUP_TIMEOUT + 90)
async def test_real_home_assistant_analyses_frames(
    tmp_path: Path, ml_server: FakeObicoMlServer, frame_host: FrameHost
) -> None:
    """Start hass, let it analyse frames, stop it, find the state on disk."""
    picture = make_jpeg(640, 480)
    camera_url = frame_host.serve("/snapshot.jpg", picture)
    config = tmp_path / "config"
    _write_config(config, free_port(), camera_url, ml_server.url)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO / "scripts" / "lib" / "run_hass.py"),
        "--config",
        str(config),
        "--skip-pip",
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        # A third fetch proves the answer to the second was applied: polls
        # are spaced from the end of the previous one.
        await _wait_for_frames(ml_server, 3)
    except TimeoutError:
        pytest.fail(f"no frames analysed; the log ends:\n{_log(config)[-5000:]}")
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            await process.wait()
    log = _log(config)

    assert process.returncode == 0, log[-3000:]
    assert {request.authorization for request in ml_server.requests} == {
        f"Bearer {TOKEN}"
    }
    # The ML server saw the camera's own picture, served by Home Assistant.
    assert ml_server.fetched[:2] == [picture, picture]
    # (This machine may lack libturbojpeg, which the camera component logs about.)
    assert "custom_components/obico" not in log, "a traceback through our code"
    assert "Error setting up entry" not in log
    stored = json.loads((config / ".storage" / storage_key(PRINTER_ID)).read_text())
    assert stored["data"]["phase"] == "printing"
    assert stored["data"]["prediction"]["current_frame_num"] >= 2
