"""A demo stack stops every process it started, and starts again where it left off.

scripts/develop and the end-to-end tests rely on both: a failed test or a
Ctrl-C must not leave a `hass` holding a port, and a second start on the same
configuration folder must log in and reuse its entries instead of adding more.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import pytest

from scripts.lib.demo_stack import DemoStack
from tests.e2e.stack import (
    OWNER,
    descendants_seen,
    error_lines,
    log_problems,
    printer_entities,
    running_command,
    start,
)
from tests.real_hass import STARTUP_TIMEOUT

PRINTERS = ["First printer", "Second printer"]


# A first frame comes an interval (10 s) after the print starts; the camera's
# and the server's entries reload first.
FIRST_FRAME_TIMEOUT = 90


def analyzed_a_frame(state: dict[str, Any] | None) -> bool:
    """A frames_analyzed state that counts a frame of the running print."""
    return state is not None and state["state"] not in ("0", "unknown", "unavailable")


class BodyFailedError(Exception):
    """What a test raises inside a running stack."""


@pytest.mark.timeout(STARTUP_TIMEOUT + 240)
async def test_every_process_stops_when_the_body_raises(
    config: Path, tool_output: IO[bytes]
) -> None:
    """The simulator, the printers and `hass` end, on SIGTERM, all of them."""
    processes: list[asyncio.subprocess.Process] = []

    async def fail_inside_a_stack() -> None:
        async with start(config, PRINTERS, tool_output) as stack:
            processes.extend(stack.processes)
            raise BodyFailedError

    async with descendants_seen() as seen:
        with pytest.raises(BodyFailedError):
            await fail_inside_a_stack()

    # The simulator, one demo printer each, and `hass`: all stopped, none killed.
    assert [process.returncode for process in processes] == [0, 0, 0, 0]
    assert {process.pid for process in processes} <= {process.pid for process in seen}
    assert [running_command(process) for process in seen] == [[]] * len(seen)


@pytest.mark.timeout(180)
async def test_every_process_stops_when_the_start_times_out(
    config: Path, tool_output: IO[bytes]
) -> None:
    """A `hass` still starting when the start-up time runs out is stopped too."""
    async with descendants_seen() as seen:
        with pytest.raises(TimeoutError):
            async with start(config, PRINTERS, tool_output, startup_timeout=0.5):
                pass

    # The simulator, the demo printers and `hass` had started.
    assert len(seen) >= len(PRINTERS) + 2
    assert [running_command(process) for process in seen] == [[]] * len(seen)


async def entries(stack: DemoStack) -> dict[str, Any]:
    """The cameras, the servers and the server's printers, by id and title."""
    cameras = await stack.hass.entries("mjpeg")
    servers = await stack.hass.entries("obico")
    async with stack.hass.websocket() as ws:
        printers = [
            await ws.command(
                "config_entries/subentries/list", entry_id=server["entry_id"]
            )
            for server in servers
        ]
    return {
        "cameras": sorted((entry["entry_id"], entry["title"]) for entry in cameras),
        "servers": sorted((entry["entry_id"], entry["title"]) for entry in servers),
        "printers": sorted(
            (printer["subentry_id"], printer["title"])
            for subentries in printers
            for printer in subentries
        ),
    }


@pytest.mark.timeout(2 * STARTUP_TIMEOUT + 300)
async def test_a_second_start_logs_in_and_finds_its_entries(
    config: Path, tool_output: IO[bytes]
) -> None:
    """On its own folder, a stack is onboarded once and its entries added once."""
    async with start(config, PRINTERS, tool_output) as stack:
        entry_id = await stack.add_entries()
        first = await entries(stack)
    first_log = stack.log()

    async with start(config, PRINTERS, tool_output) as stack:
        async with stack.hass.session.get(f"{stack.hass.url}/api/onboarding") as answer:
            onboarding = answer.status
        entry_id_again = await stack.add_entries()
        again = await entries(stack)
        async with stack.hass.websocket() as ws:
            users = await ws.command("config/auth/list")
            frames = (await printer_entities(ws, entry_id))[PRINTERS[0]].frames_analyzed
        # The simulator and the printers listen on other ports now: the entries
        # were pointed at them, so a print is watched again.
        await stack.run_script(stack.printers[0].script("start_a_good_print"))
        async with asyncio.timeout(FIRST_FRAME_TIMEOUT):
            await stack.hass.wait_for_state(frames, analyzed_a_frame)
        ml_url = stack.ml_url
    second_log = stack.log()

    errors = f"ERROR lines:\n{error_lines(first_log)}\n{error_lines(second_log)}"
    assert len(first["cameras"]) == len(first["printers"]) == len(PRINTERS), first
    assert len(first["servers"]) == 1, first
    # Onboarding is over for good; the owner logged in with their password.
    assert onboarding == 404
    assert [user["username"] for user in users if not user["system_generated"]] == [
        OWNER.username
    ]
    assert entry_id_again == entry_id
    assert again["cameras"] == first["cameras"]
    assert again["printers"] == first["printers"]
    [(server_id, title)] = again["servers"]
    assert server_id == entry_id
    assert title == f"Obico ML API ({urlparse(ml_url).netloc})"
    assert log_problems(first_log) == [], errors
    assert log_problems(second_log) == [], errors
