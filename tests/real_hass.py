"""A real `hass` process and a client of its REST API, for tests that start one.

The process runs the Home Assistant of the leg under test: the plugin's own, or
the newest release in an environment of its own (``OBICO_HASS_PYTHON``, set by
scripts/test). It is reached only as a user reaches it: onboarding, then REST
calls with the owner's access token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import os
from pathlib import Path
import signal
import sys

import aiohttp
from awesomeversion import AwesomeVersion

from scripts.lib.hass_api import HassApi, Owner

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 240  # a cold start imports much of Home Assistant
# From this release on, Home Assistant keeps its HTTP settings in storage: a
# YAML `http:` block is deprecated and only taken over once, as a trial.
HTTP_SETTINGS_IN_STORAGE = AwesomeVersion("2026.10.0")


def hass_python() -> str:
    """The interpreter whose Home Assistant the real process runs."""
    return os.environ.get("OBICO_HASS_PYTHON") or sys.executable


async def hass_version(python: str) -> AwesomeVersion:
    """The Home Assistant release installed for ``python``."""
    process = await asyncio.create_subprocess_exec(
        python,
        "-c",
        "from homeassistant.const import __version__; print(__version__)",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, f"no Home Assistant for {python}"
    return AwesomeVersion(out.decode().strip())


def http_settings(version: AwesomeVersion, port: int) -> tuple[str, dict[str, str]]:
    """How to make ``version`` listen on ``port``: YAML, or the environment.

    Returns the YAML to add to configuration.yaml and the environment to start
    ``hass`` with.
    """
    if version >= HTTP_SETTINGS_IN_STORAGE:
        return "", {"SETUP_PORT": str(port)}
    return f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n", {}


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

    The integration is loaded from the working tree. The process is always
    stopped, and killed if it does not stop, whatever the test did.
    """
    python = hass_python()
    yaml, env = http_settings(await hass_version(python), port)
    await asyncio.to_thread(_write_configuration, config, yaml + configuration)
    process = await asyncio.create_subprocess_exec(
        python,
        str(REPO / "scripts" / "lib" / "run_hass.py"),
        "--config",
        str(config),
        "--skip-pip",
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as session:
        hass = RealHass(
            f"http://127.0.0.1:{port}", session, config=config, process=process
        )
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT):
                await hass.wait_until_up(alive=lambda: process.returncode is None)
                await hass.onboard_or_log_in(Owner())
            yield hass
        finally:
            await stop(process)


def _write_configuration(config: Path, configuration: str) -> None:
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(configuration)


async def stop(process: asyncio.subprocess.Process) -> None:
    """Stop `hass` as a service manager would: SIGTERM, then SIGKILL."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(60):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
