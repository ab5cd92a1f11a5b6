"""The end-to-end tests' view of a demo stack: start it, find its entities, read its log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
import re
from typing import IO, Any

import psutil

from custom_components.obico.const import DOMAIN, KEY_LAST_FRAME, unique_id
from scripts.lib.demo_stack import DemoStack, demo_stack
from scripts.lib.hass_api import Owner, WebSocket
from tests.deprecation_guard import is_our_deprecation
from tests.obico_ml_server import free_port
from tests.real_hass import STARTUP_TIMEOUT, hass_python

OWNER = Owner()
# A line of Home Assistant's log at level ERROR: "2026-05-01 10:00:00.123 ERROR (".
ERROR_LINE = re.compile(r"^\S+ \S+ ERROR ")
# Never in a log of a sound run: each names a way the integration failed to load.
NEVER_LOGGED = (
    "custom_components/obico",  # a traceback through our code
    "ModuleNotFoundError",
    "Error occurred loading flow",
    "Error setting up entry",
)
# ERRORs of Home Assistant itself that no fault of ours causes, each named.
# Onboarding adds a Radio Browser entry, which looks its servers up on the
# internet; without one (as here, and in CI) its set-up fails and is retried,
# and Home Assistant 2026.11 stopped during a retry logs it cancelled, at ERROR.
NOT_OURS = (
    re.compile(
        r" ERROR \(MainThread\) \[homeassistant\.components\.radio_browser\] "
        r"Setup of config entry 'Radio Browser' for radio_browser integration "
        r"cancelled$"
    ),
)


@asynccontextmanager
async def start(
    config: Path,
    printers: list[str],
    tool_output: IO[bytes],
    startup_timeout: float = STARTUP_TIMEOUT,
) -> AsyncGenerator[DemoStack]:
    """A demo stack of the leg's Home Assistant on a free loopback port."""
    async with demo_stack(
        config,
        port=free_port(),
        printers=printers,
        owner=OWNER,
        hass_python=hass_python(),
        host="127.0.0.1",
        startup_timeout=startup_timeout,
        tool_output=tool_output,
    ) as stack:
        yield stack


@dataclass(frozen=True)
class PrinterEntities:
    """A printer's device and the entities the tests read, from the registries."""

    device_id: str
    frames_analyzed: str
    detection_state: str
    failure: str
    alert: str
    last_frame: str


async def printer_entities(ws: WebSocket, entry_id: str) -> dict[str, PrinterEntities]:
    """Each printer's entities, by printer name, once the entity registry has them all.

    A printer's entities are registered as its entry reloads, after its flow
    ended; callers bound the wait.
    """
    while True:
        try:
            return await _printer_entities(ws, entry_id)
        except KeyError:
            await asyncio.sleep(0.5)


async def _printer_entities(ws: WebSocket, entry_id: str) -> dict[str, PrinterEntities]:
    subentries = await ws.command("config_entries/subentries/list", entry_id=entry_id)
    registry = {
        entity["unique_id"]: entity
        for entity in await ws.command("config/entity_registry/list")
        if entity["platform"] == DOMAIN
    }
    printers = {}
    for subentry in subentries:

        def entity(key: str, subentry_id: str = subentry["subentry_id"]) -> Any:
            return registry[unique_id(subentry_id, key)]

        printers[subentry["title"]] = PrinterEntities(
            device_id=entity("failure")["device_id"],
            frames_analyzed=entity("frames_analyzed")["entity_id"],
            detection_state=entity("detection_state")["entity_id"],
            failure=entity("failure")["entity_id"],
            alert=entity("alert")["entity_id"],
            last_frame=entity(KEY_LAST_FRAME)["entity_id"],
        )
    return printers


def error_lines(log: str) -> list[str]:
    """The lines Home Assistant logged at level ERROR."""
    return [line for line in log.splitlines() if ERROR_LINE.match(line)]


def log_problems(log: str) -> list[str]:
    """What in Home Assistant's log says the integration did not run cleanly.

    Any ERROR counts, but those of ``NOT_OURS``.
    """
    return [
        line
        for line in log.splitlines()
        if (ERROR_LINE.match(line) and not any(e.search(line) for e in NOT_OURS))
        or any(text in line for text in NEVER_LOGGED)
        or is_our_deprecation(line)
    ]


def running_command(process: psutil.Process) -> list[str]:
    """The command line of a process that still runs; empty once it has exited."""
    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            return []
        return list(process.cmdline())
    except psutil.NoSuchProcess:
        return []


@asynccontextmanager
async def descendants_seen(every: float = 0.1) -> AsyncGenerator[set[psutil.Process]]:
    """Every process started under this one while the block runs, grandchildren too.

    Looked for every ``every`` seconds, so that those that a failed start ends
    before its stack is yielded are seen as well.
    """
    before = set(psutil.Process().children(recursive=True))
    seen: set[psutil.Process] = set()

    async def look() -> None:
        while True:
            seen.update(set(psutil.Process().children(recursive=True)) - before)
            await asyncio.sleep(every)

    looking = asyncio.create_task(look())
    try:
        yield seen
    finally:
        looking.cancel()
        with suppress(asyncio.CancelledError):
            await looking
