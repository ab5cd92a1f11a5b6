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
from dataclasses import dataclass
import os
from pathlib import Path
import signal
import sys
from typing import Any

import aiohttp
from awesomeversion import AwesomeVersion

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 240  # a cold start imports much of Home Assistant
CLIENT_ID_PATH = "/"
OWNER = {"name": "Owner", "username": "owner", "password": "obico-test-owner"}
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
class RealHass:
    """A running `hass`, its configuration folder and an API session."""

    config: Path
    url: str
    process: asyncio.subprocess.Process
    session: aiohttp.ClientSession
    token: str = ""

    def log(self) -> str:
        """What Home Assistant has logged so far."""
        log = self.config / "home-assistant.log"
        return log.read_text() if log.exists() else "(no log written)"

    async def wait_until_up(self) -> None:
        """Wait until the HTTP server answers, or the process has ended."""
        async with asyncio.timeout(STARTUP_TIMEOUT):
            while self.process.returncode is None:
                try:
                    async with self.session.get(
                        f"{self.url}/manifest.json"
                    ) as response:
                        if response.status < 500:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.5)
        raise RuntimeError(f"hass exited with {self.process.returncode}")

    async def onboard(self) -> None:
        """Create the owner through onboarding and keep their access token."""
        client_id = f"{self.url}{CLIENT_ID_PATH}"
        async with asyncio.timeout(STARTUP_TIMEOUT):
            while True:
                response = await self.session.post(
                    f"{self.url}/api/onboarding/users",
                    json={**OWNER, "client_id": client_id, "language": "en"},
                )
                if response.status != 404:  # onboarding is still setting up
                    break
                await asyncio.sleep(0.5)
        response.raise_for_status()
        code = (await response.json())["auth_code"]
        response = await self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
            },
        )
        response.raise_for_status()
        self.token = (await response.json())["access_token"]

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the REST API as the owner; the decoded JSON answer."""
        async with self.session.request(
            method,
            f"{self.url}{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            **kwargs,
        ) as response:
            body = await response.text()
            assert response.status < 400, f"{method} {path}: {response.status} {body}"
            return await response.json() if body else None

    async def flow(
        self, path: str, start: dict[str, Any], *steps: dict[str, Any]
    ) -> Any:
        """Walk a data entry flow: start it, then submit each step's form."""
        result = await self.request("POST", path, json=start)
        for step in steps:
            assert result["type"] == "form", result
            result = await self.request(
                "POST", f"{path}/{result['flow_id']}", json=step
            )
        return result

    async def state(self, entity_id: str) -> str | None:
        """The state of an entity, or None before it exists."""
        async with self.session.get(
            f"{self.url}/api/states/{entity_id}",
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            if response.status == 404:
                return None
            response.raise_for_status()
            return (await response.json())["state"]


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
        hass = RealHass(config, f"http://127.0.0.1:{port}", process, session)
        try:
            await hass.wait_until_up()
            await hass.onboard()
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
