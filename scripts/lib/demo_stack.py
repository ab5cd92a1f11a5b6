"""The whole product on one machine: Home Assistant, the ML API simulator, demo printers.

scripts/develop runs it for people; the end-to-end tests run it for checks.
Each part is its own process, as in real life: the Obico ML API simulator
(``scripts/obico_ml_simulator.py``), one ``scripts/demo_printer.py`` per
printer, and a real `hass`, onboarded through its onboarding API. The demo
printers' cameras, the ML server and the printers are then added through the
config flows, over the REST API, as a user adds them. Every process it
started is stopped when it ends, whatever happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
import sys
from typing import IO, Any

import aiohttp

from scripts.lib.demo_dashboard import save_dashboard
from scripts.lib.demo_package import (
    DemoPrinter,
    camera_flow,
    camera_options,
    package_yaml,
    printer_flow,
)
from scripts.lib.hass_api import HassApi, Owner
from scripts.lib.hass_process import REPO, start_hass, stop

SCRIPTS = REPO / "scripts"
FLOWS = "/api/config/config_entries/flow"
SUBENTRY_FLOWS = "/api/config/config_entries/subentries/flow"
OPTIONS_FLOWS = "/api/config/config_entries/options/flow"


@dataclass
class DemoStack:
    """What runs, and the owner's session with Home Assistant."""

    hass: HassApi
    hass_process: asyncio.subprocess.Process
    config: Path
    ml_url: str
    printers: list[DemoPrinter]
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    def log(self) -> str:
        """What Home Assistant has logged so far."""
        log = self.config / "home-assistant.log"
        return log.read_text() if log.exists() else "(no log written)"

    async def add_entries(self, *, interval: int = 10) -> str:
        """Add the cameras, the ML server and the printers; the server's entry id.

        On a later start they are there already: they are then pointed, through
        their own options and reconfigure flows, at where the simulator, the
        demo printers and Home Assistant listen now, which may be other ports.
        """
        cameras = {
            entry["title"]: entry["entry_id"]
            for entry in await self.hass.entries("mjpeg")
        }
        for printer in self.printers:
            if (camera_id := cameras.get(printer.camera_name)) is None:
                await self._flow(FLOWS, {"handler": "mjpeg"}, camera_flow(printer))
            else:
                await self._flow(
                    OPTIONS_FLOWS, {"handler": camera_id}, camera_options(printer)
                )
        if entries := await self.hass.entries("obico"):
            entry_id: str = entries[0]["entry_id"]
            await self._flow(
                FLOWS,
                {"handler": "obico", "entry_id": entry_id},
                self._server_form(),
                ends_with=("abort", "reconfigure_successful"),
            )
            return entry_id
        server = await self._flow(FLOWS, {"handler": "obico"}, self._server_form())
        entry_id = server["result"]["entry_id"]
        for printer in self.printers:
            first, details = printer_flow(printer)
            await self._flow(
                SUBENTRY_FLOWS,
                {"handler": [entry_id, "printer"]},
                first,
                {**details, "interval": interval},
            )
        return entry_id

    def _server_form(self) -> dict[str, Any]:
        return {"ml_url": self.ml_url, "ha_url": self.hass.url, "max_concurrent": 1}

    async def add_dashboard(self, entry_id: str) -> str:
        """Create or update the demo's dashboard of the printers; its URL path.

        Callers bound the wait for the printers' entities.
        """
        async with self.hass.websocket() as ws:
            return await save_dashboard(ws, entry_id, self.printers)

    async def _flow(
        self,
        path: str,
        start: dict[str, Any],
        *steps: dict[str, Any],
        ends_with: tuple[str, str | None] = ("create_entry", None),
    ) -> dict[str, Any]:
        """Walk a flow; RuntimeError unless it ends with the type (and reason) given."""
        result = await self.hass.flow(path, start, *steps)
        if (result["type"], result.get("reason")) != ends_with:
            raise RuntimeError(f"{start['handler']}: the flow ended with {result}")
        return result

    async def run_script(self, entity_id: str) -> None:
        """Run a script, as its button on a dashboard does."""
        await self.hass.request(
            "POST", "/api/services/script/turn_on", json={"entity_id": entity_id}
        )


async def start_tool(
    name: str, python: str, script: str, *args: str, output: IO[bytes] | None
) -> tuple[asyncio.subprocess.Process, str]:
    """Start a tool of ours on a port; the process and the URL its first line names."""
    process = await asyncio.create_subprocess_exec(
        python,
        str(SCRIPTS / script),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    line = (await process.stdout.readline()).decode().strip()
    if not line.startswith(name) or " on http" not in line:
        await stop(process, grace=5)
        raise RuntimeError(f"{name} did not start: {line or 'no output'}")
    # What it says later is kept (or dropped), so that a full pipe never blocks it.
    _DRAINS.add(asyncio.create_task(_drain(process.stdout, output)))
    return process, line.rsplit(" on ", 1)[1]


_DRAINS: set[asyncio.Task[None]] = set()


async def _drain(stream: asyncio.StreamReader, output: IO[bytes] | None) -> None:
    while chunk := await stream.read(65536):
        if output is not None:
            output.write(chunk)
            output.flush()


@asynccontextmanager
async def demo_stack(
    config: Path,
    *,
    port: int,
    printers: list[str],
    owner: Owner,
    hass_python: str = sys.executable,
    host: str | None = None,
    ml_port: int = 0,
    printer_port: int = 0,
    startup_timeout: float = 600,
    tool_output: IO[bytes] | None = None,
) -> AsyncGenerator[DemoStack]:
    """Start everything, onboarded and running, adding no entries; stop it all after.

    ``printer_port`` is the first demo printer's port (0 for any free one);
    the others take any free port.
    """
    processes: list[asyncio.subprocess.Process] = []
    try:
        simulator, ml_url = await start_tool(
            "Obico ML API simulator",
            sys.executable,
            "obico_ml_simulator.py",
            "--port",
            str(ml_port),
            "--inference-delay",
            "0.3",
            output=tool_output,
        )
        processes.append(simulator)
        demo_printers = []
        for number, name in enumerate(printers):
            process, url = await start_tool(
                "Demo printer",
                sys.executable,
                "demo_printer.py",
                "--port",
                str(printer_port if number == 0 else 0),
                output=tool_output,
            )
            processes.append(process)
            demo_printers.append(DemoPrinter(name, url))
        packages = config / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        (packages / "demo_printers.yaml").write_text(package_yaml(demo_printers))
        hass_process = await start_hass(hass_python, config, port, host=host)
        processes.append(hass_process)
        async with aiohttp.ClientSession() as session:
            hass = HassApi(f"http://127.0.0.1:{port}", session)
            async with asyncio.timeout(startup_timeout):
                await hass.wait_until_up(lambda: hass_process.returncode is None)
                await hass.onboard_or_log_in(owner)
                await hass.wait_until_running()
            yield DemoStack(
                hass, hass_process, config, ml_url, demo_printers, processes
            )
    finally:
        # Home Assistant first: it is the one that calls the others.
        for process in reversed(processes):
            await stop(process)
