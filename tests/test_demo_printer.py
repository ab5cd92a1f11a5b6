"""The demo printer: its print, its controls, and what Obico makes of its frames.

Its snapshots go through the simulator over real loopback sockets, the
simulator fetching the demo's snapshot URL itself as the real ML server
fetches Home Assistant's, and the answers through Obico's own math.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import io
import signal
import sys
from typing import Any

import aiohttp
from PIL import Image
import pytest

from custom_components.obico.prediction import (
    PredictionState,
    should_alert,
    should_pause,
    sum_p,
    update,
)
from scripts.demo_printer import (
    FAILURE_ONSET,
    FRAME_SIZE,
    LEVELS_HORIZON,
    DemoPrinter,
    frame_detections,
    frames_to_levels,
    render_frame,
)
from scripts.obico_ml_simulator import ObicoMlSimulator, marker_blobs
from tests.obico_ml_server import free_port
from tests.test_simulator import (
    SCRIPTS,
    STARTUP_TIMEOUT,
    clean_environment,
    failure_of,
    running_script,
    stop_with,
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

SHRINK_LIMIT = 1296  # DESIGN section 3: longer sides are shrunk first


@pytest.fixture
async def printer() -> AsyncGenerator[DemoPrinter]:
    """A demo printer on a free loopback port."""
    demo = DemoPrinter()
    await demo.start()
    yield demo
    await demo.stop()


async def call(
    session: aiohttp.ClientSession, method: str, url: str
) -> tuple[int, dict[str, Any]]:
    """Send one control request; return the status and the JSON answer."""
    async with session.request(method, url) as response:
        return response.status, await response.json()


async def snapshot(session: aiohttp.ClientSession, printer: DemoPrinter) -> bytes:
    """GET the snapshot, which must be a JPEG."""
    async with session.get(f"{printer.url}/snapshot.jpg") as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        assert response.headers["Cache-Control"] == "no-store"
        return await response.read()


async def status(
    session: aiohttp.ClientSession, printer: DemoPrinter
) -> dict[str, Any]:
    """GET /status."""
    code, body = await call(session, "GET", f"{printer.url}/status")
    assert code == 200
    return body


async def analyze(
    session: aiohttp.ClientSession, simulator: ObicoMlSimulator, printer: DemoPrinter
) -> list[list[Any]]:
    """Have the simulator fetch and analyze the demo's next snapshot."""
    params = {"img": f"{printer.url}/snapshot.jpg"}
    async with session.get(f"{simulator.url}/p/", params=params) as response:
        assert response.status == 200
        body = await response.json()
    detections: list[list[Any]] = body["detections"]
    return detections


# --- The picture ---------------------------------------------------------------


def test_frames_are_jpegs_under_the_shrink_limit() -> None:
    """1280x720: Home Assistant sends them to the ML server untouched."""
    with Image.open(io.BytesIO(render_frame(1, "good"))) as picture:
        assert picture.format == "JPEG"
        assert picture.size == FRAME_SIZE == (1280, 720)
    assert max(FRAME_SIZE) <= SHRINK_LIMIT


def test_frames_depend_on_the_frame_number_only() -> None:
    """The same frame is the same bytes; the print shows each new frame."""
    first = render_frame(12, "failing")
    render_frame.cache_clear()

    assert render_frame(12, "failing") == first
    assert render_frame(13, "failing") != first
    assert render_frame(12, "failing", "paused") != first  # the caption says so


@pytest.mark.parametrize("frame_number", [0, 1, 30, 60, 120, 400])
def test_a_good_print_shows_no_marker(frame_number: int) -> None:
    """Not a pixel of the marker colour, however far the print goes."""
    picture = Image.open(io.BytesIO(render_frame(frame_number, "good")))

    assert marker_blobs(picture) == []


def test_a_failing_print_is_clean_until_its_onset_then_grows() -> None:
    """Nothing up to the onset, then more spaghetti frame after frame."""
    scores = [sum_p(frame_detections(frame, "failing")) for frame in range(1, 81)]

    assert scores[:FAILURE_ONSET] == [0] * FAILURE_ONSET
    assert scores == sorted(scores)
    assert scores[-1] > 2  # three clumps, each nearly sure


def test_frames_to_levels_of_the_two_outcomes() -> None:
    """Warning, then pause, within 40-60 frames of the start; a good print never."""
    warning_frame, pause_frame = frames_to_levels("failing")

    assert warning_frame is not None
    assert pause_frame is not None
    assert 40 <= warning_frame < pause_frame <= 60
    assert frames_to_levels("good") == (None, None)
    assert LEVELS_HORIZON >= 120


# --- The controls --------------------------------------------------------------


async def test_idle_printer_stands_still(
    session: aiohttp.ClientSession, printer: DemoPrinter
) -> None:
    """Before any print the snapshot is the empty printer, and nothing advances."""
    first = await snapshot(session, printer)

    assert await snapshot(session, printer) == first == render_frame(0, None, "idle")
    assert await status(session, printer) == {
        "state": "idle",
        "frame": 0,
        "outcome": None,
    }


async def test_each_snapshot_advances_a_print_by_one_frame(
    session: aiohttp.ClientSession, printer: DemoPrinter
) -> None:
    """The n-th snapshot of a print is frame n, whatever the clock says."""
    code, body = await call(session, "POST", f"{printer.url}/print?outcome=good")
    assert (code, body) == (200, {"state": "printing", "frame": 0, "outcome": "good"})

    pictures = [await snapshot(session, printer) for _ in range(3)]

    assert pictures == [render_frame(frame, "good") for frame in (1, 2, 3)]
    assert (await status(session, printer))["frame"] == 3


async def test_pause_resume_finish(
    session: aiohttp.ClientSession, printer: DemoPrinter
) -> None:
    """A paused or finished print stands still; a resumed one goes on."""
    await call(session, "POST", f"{printer.url}/print?outcome=failing")
    await snapshot(session, printer)

    code, body = await call(session, "POST", f"{printer.url}/pause")
    assert (code, body["state"], body["frame"]) == (200, "paused", 1)
    paused = render_frame(1, "failing", "paused")
    assert [await snapshot(session, printer) for _ in range(2)] == [paused, paused]
    # Asked twice, as a retried pause would be: still paused, no error.
    assert (await call(session, "POST", f"{printer.url}/pause"))[0] == 200

    code, body = await call(session, "POST", f"{printer.url}/resume")
    assert (code, body["state"]) == (200, "printing")
    assert await snapshot(session, printer) == render_frame(2, "failing")

    code, body = await call(session, "POST", f"{printer.url}/finish")
    assert (code, body) == (
        200,
        {"state": "finished", "frame": 2, "outcome": "failing"},
    )
    assert await snapshot(session, printer) == render_frame(2, "failing", "finished")
    assert (await status(session, printer))["frame"] == 2


async def test_a_new_print_starts_from_frame_zero(
    session: aiohttp.ClientSession, printer: DemoPrinter
) -> None:
    """Whatever came before, a new print starts again from the empty bed."""
    await call(session, "POST", f"{printer.url}/print?outcome=failing")
    for _ in range(5):
        await snapshot(session, printer)
    await call(session, "POST", f"{printer.url}/finish")

    code, body = await call(session, "POST", f"{printer.url}/print?outcome=good")

    assert (code, body) == (200, {"state": "printing", "frame": 0, "outcome": "good"})
    assert await snapshot(session, printer) == render_frame(1, "good")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/print", 400),
        ("/print?outcome=spaghetti", 400),
        ("/pause", 409),
        ("/resume", 409),
        ("/finish", 409),
    ],
)
async def test_refused_controls_leave_the_printer_idle(
    session: aiohttp.ClientSession, printer: DemoPrinter, path: str, expected: int
) -> None:
    """No outcome, or nothing to pause, resume or finish: refused, and said why."""
    code, body = await call(session, "POST", f"{printer.url}{path}")

    assert code == expected
    assert body["error"]
    assert await status(session, printer) == {
        "state": "idle",
        "frame": 0,
        "outcome": None,
    }


async def test_a_finished_print_cannot_resume(
    session: aiohttp.ClientSession, printer: DemoPrinter
) -> None:
    """Finished is the end of a print."""
    await call(session, "POST", f"{printer.url}/print?outcome=good")
    await call(session, "POST", f"{printer.url}/finish")

    code, body = await call(session, "POST", f"{printer.url}/resume")

    assert (code, body["state"]) == (409, "finished")


# --- Through the simulator and Obico's math ------------------------------------


async def levels_through_the_simulator(
    session: aiohttp.ClientSession,
    simulator: ObicoMlSimulator,
    printer: DemoPrinter,
    frames: int,
) -> tuple[int | None, int | None]:
    """Analyze ``frames`` snapshots of a fresh print, as Obico would.

    Returns the first frames at the warning and the pause level, or None.
    """
    state = PredictionState()
    warning_frame: int | None = None
    pause_frame: int | None = None
    for frame in range(1, frames + 1):
        update(state, await analyze(session, simulator, printer))
        if warning_frame is None and should_alert(state, 1.0):
            warning_frame = frame
        if pause_frame is None and should_pause(state, 1.0):
            pause_frame = frame
    return warning_frame, pause_frame


async def test_a_failing_print_warns_then_pauses_where_predicted(
    session: aiohttp.ClientSession, simulator: ObicoMlSimulator, printer: DemoPrinter
) -> None:
    """The simulator's answers reach each level at the frame frames_to_levels says."""
    expected_warning, expected_pause = frames_to_levels("failing")
    assert expected_pause is not None
    await call(session, "POST", f"{printer.url}/print?outcome=failing")

    levels = await levels_through_the_simulator(
        session, simulator, printer, expected_pause
    )

    assert levels == (expected_warning, expected_pause)
    assert (await status(session, printer))["frame"] == expected_pause


async def test_a_good_print_never_alerts(
    session: aiohttp.ClientSession, simulator: ObicoMlSimulator, printer: DemoPrinter
) -> None:
    """Over 120 frames the simulator sees nothing, and Obico never warns."""
    await call(session, "POST", f"{printer.url}/print?outcome=good")

    levels = await levels_through_the_simulator(session, simulator, printer, 120)

    assert levels == (None, None)
    assert (await status(session, printer))["frame"] == 120


# --- The command line ----------------------------------------------------------


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"]
)
async def test_command_line_serves_until_signalled(
    session: aiohttp.ClientSession, signum: int
) -> None:
    """It says where it listens, prints on request, and exits 0 on a signal."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    async with running_script("demo_printer.py", "--port", str(port)) as (
        process,
        line,
    ):
        assert line, await failure_of(process)
        assert line == f"Demo printer on {url}"
        code, body = await call(session, "POST", f"{url}/print?outcome=failing")
        assert (code, body["state"]) == (200, "printing")
        async with session.get(f"{url}/snapshot.jpg") as response:
            assert await response.read() == render_frame(1, "failing")

        assert await stop_with(process, signum) == 0


async def test_demo_printer_imports_no_home_assistant() -> None:
    """It runs with any Python that has aiohttp and Pillow, from scripts/."""
    code = (
        "import sys, demo_printer; "
        "print(sorted({name.split('.')[0] for name in sys.modules} "
        "& {'homeassistant', 'custom_components', 'tests'}))"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        cwd=SCRIPTS,
        env=clean_environment(),
        stdout=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(STARTUP_TIMEOUT):
        out, _ = await process.communicate()

    assert (process.returncode, out.decode().strip()) == (0, "[]")
