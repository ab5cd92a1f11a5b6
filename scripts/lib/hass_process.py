"""A real `hass` process: started on a given port, stopped as a service manager would.

For scripts/develop and the tests that start one. The configuration's
``configuration.yaml`` must include its ``packages`` folder: on releases that
take the HTTP port in YAML, it is written there.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import signal

REPO = Path(__file__).resolve().parents[2]
# From this release on, Home Assistant keeps its HTTP settings in storage: a
# YAML `http:` block is deprecated and only taken over once, as a trial.
HTTP_SETTINGS_IN_STORAGE = (2026, 10)
PACKAGES_LINE = "homeassistant:\n  packages: !include_dir_named packages\n"


async def hass_release(python: str) -> str:
    """The Home Assistant release installed for ``python``, as it names itself."""
    process = await asyncio.create_subprocess_exec(
        python,
        "-c",
        "from homeassistant.const import __version__; print(__version__)",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"no Home Assistant for {python}")
    return out.decode().strip()


async def hass_version(python: str) -> tuple[int, ...]:
    """The Home Assistant release installed for ``python``: year and month."""
    return tuple(int(part) for part in (await hass_release(python)).split(".")[:2])


def listen_on(
    config: Path, version: tuple[int, ...], port: int, host: str | None
) -> dict[str, str]:
    """Make ``version`` listen on ``port``; the environment to start it with.

    Before 2026.10 the port is YAML, in a package; from 2026.10 on Home
    Assistant takes SETUP_PORT for a configuration that has no HTTP settings
    stored yet, so stored settings for another port are dropped first.
    """
    package = config / "packages" / "obico_http.yaml"
    package.parent.mkdir(parents=True, exist_ok=True)
    if version < HTTP_SETTINGS_IN_STORAGE:
        host_line = f"  server_host: {host}\n" if host else ""
        package.write_text(
            "# Written at each start of Home Assistant: where it listens.\n"
            f"http:\n  server_port: {port}\n{host_line}"
        )
        return {}
    package.unlink(missing_ok=True)
    stored = config / ".storage" / "http"
    if stored.exists():
        settings = json.loads(stored.read_text())["data"]["stable"]
        if settings.get("server_port") != port:
            stored.unlink()
    return {"SETUP_PORT": str(port)}


async def start_hass(
    python: str, config: Path, port: int, *, host: str | None = None
) -> asyncio.subprocess.Process:
    """Start `hass` with ``--skip-pip``, the integration from the working tree."""
    env = listen_on(config, await hass_version(python), port, host)
    (config / "home-assistant.log").unlink(missing_ok=True)
    return await asyncio.create_subprocess_exec(
        python,
        str(REPO / "scripts" / "lib" / "run_hass.py"),
        "--config",
        str(config),
        # Everything it loads is installed (scripts/lib/hass_requirements.py).
        "--skip-pip",
        env={
            **os.environ,
            **env,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
            ),
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def stop(process: asyncio.subprocess.Process, grace: float = 60) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within ``grace`` seconds."""
    if process.returncode is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        async with asyncio.timeout(grace):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
