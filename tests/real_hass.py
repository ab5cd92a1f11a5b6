"""A real `hass` process and a client of its REST API, for tests that start one.

The process runs the Home Assistant of the leg under test: the plugin's own, or
the newest release in an environment of its own (``OBICO_HASS_PYTHON``, set by
scripts/test). It is started and stopped as scripts/develop does it
(``scripts/lib/hass_process.py``), and reached only as a user reaches it:
onboarding, then REST calls with the owner's access token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import os
from pathlib import Path
import sys

import aiohttp
from awesomeversion import AwesomeVersion

from scripts.lib.hass_api import HassApi, Owner
from scripts.lib.hass_process import PACKAGES_LINE, REPO, hass_release, start_hass, stop

# REPO too: the tests find the repository's scripts through this module.
__all__ = [
    "LOOPBACK",
    "REPO",
    "STARTUP_TIMEOUT",
    "RealHass",
    "hass_python",
    "hass_version",
    "real_hass",
]

STARTUP_TIMEOUT = 240  # a cold start imports much of Home Assistant
LOOPBACK = "127.0.0.1"


def hass_python() -> str:
    """The interpreter whose Home Assistant the real process runs."""
    return os.environ.get("OBICO_HASS_PYTHON") or sys.executable


async def hass_version(python: str) -> AwesomeVersion:
    """The Home Assistant release installed for ``python``, patch level included."""
    return AwesomeVersion(await hass_release(python))


@dataclass
class RealHass(HassApi):
    """A running `hass`, its configuration folder, and the owner's API session."""

    config: Path = field(kw_only=True)
    process: asyncio.subprocess.Process = field(kw_only=True)

    def log(self) -> str:
        """What Home Assistant has logged so far."""
        log = self.config / "home-assistant.log"
        return log.read_text() if log.exists() else "(no log written)"

    async def state_value(self, entity_id: str) -> str | None:
        """The state of an entity, or None before it exists."""
        state = await self.state(entity_id)
        return None if state is None else str(state["state"])


@asynccontextmanager
async def real_hass(
    config: Path, port: int, configuration: str
) -> AsyncGenerator[RealHass]:
    """Start `hass` on ``port`` with ``configuration``, onboarded; stop it after.

    ``configuration`` is taken as it is, after the line that includes the
    ``packages`` folder, where the HTTP settings go on releases that take them
    in YAML. The integration is loaded from the working tree. The process is
    always stopped, and killed if it does not stop, whatever the test did.
    """
    await asyncio.to_thread(_write_configuration, config, PACKAGES_LINE + configuration)
    process = await start_hass(hass_python(), config, port, host=LOOPBACK)
    try:
        async with aiohttp.ClientSession() as session:
            hass = RealHass(
                f"http://{LOOPBACK}:{port}", session, config=config, process=process
            )
            async with asyncio.timeout(STARTUP_TIMEOUT):
                await hass.wait_until_up(alive=lambda: process.returncode is None)
                await hass.onboard_or_log_in(Owner())
                await hass.wait_until_running()
            yield hass
    finally:
        await stop(process)


def _write_configuration(config: Path, configuration: str) -> None:
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(configuration)
