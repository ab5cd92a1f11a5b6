"""The Obico ML API simulator: its marker measurement and its command line.

The rest of its contract (DESIGN section 2) is what every other test leans
on, through ``tests/obico_ml_server.py``; ``tests/test_api.py`` pins it.
Everything here crosses real loopback sockets, and the command line runs as
a process of its own, as ``scripts/develop`` runs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import asynccontextmanager
import io
import os
from pathlib import Path
import signal
import socket
import sys
from typing import Any

import aiohttp
from PIL import Image
import pytest

from scripts.obico_ml_simulator import ObicoMlSimulator
from tests.obico_ml_server import FrameHost, free_port

pytestmark = pytest.mark.usefixtures("socket_enabled")

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 10
TOKEN = "simulator-token"
MAGENTA = (255, 0, 255)
GREY = (60, 64, 70)
FRAME = (640, 480)
ODD_FRAME = (650, 490)  # not a whole number of 16 px cells

type Rectangle = tuple[int, int, int, int]  # left, top, width, height


# --- Frames with a marker, and what the module docstring says of them ----------


def marker_frame(
    size: tuple[int, int], rectangles: Sequence[Rectangle], image_format: str
) -> bytes:
    """A grey frame with magenta rectangles, encoded as JPEG (Pillow's defaults) or PNG."""
    picture = Image.new("RGB", size, GREY)
    for left, top, width, height in rectangles:
        picture.paste(MAGENTA, (left, top, left + width, top + height))
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format)
    return buffer.getvalue()


def documented_detections(
    size: tuple[int, int], rectangles: Sequence[Rectangle]
) -> list[list[Any]]:
    """The detections the simulator's docstring promises for far-apart rectangles.

    Rectangles may run off the frame; only their visible part counts.
    """
    frame_width, frame_height = size
    detections = []
    for left, top, drawn_width, drawn_height in rectangles:
        width = min(drawn_width, frame_width - left)
        height = min(drawn_height, frame_height - top)
        area = width * height / (frame_width * frame_height)
        confidence = min(0.99, area / 0.01)
        if confidence >= 0.08:
            box = [left + width / 2, top + height / 2, width, height]
            detections.append(["failure", confidence, box])
    return sorted(detections, key=lambda detection: -detection[1])


MARKER_CASES = {
    "nothing": [],
    "tiny": [(10, 10, 12, 12)],
    "small": [(100, 80, 40, 30)],
    "off_the_grid": [(333, 251, 57, 41)],
    "over_one_percent": [(200, 150, 120, 80)],
    "at_the_corner": [(610, 450, 40, 40)],
    "three_sorted": [(20, 20, 50, 40), (300, 200, 60, 50), (500, 380, 30, 30)],
    "one_kept_one_dropped": [(100, 100, 60, 50), (400, 300, 10, 10)],
    "36_px_apart": [(100, 100, 40, 40), (176, 100, 40, 40)],
}


# --- Fixtures ------------------------------------------------------------------


@pytest.fixture
async def frames() -> AsyncGenerator[FrameHost]:
    """A plain web server for the frames the simulator fetches."""
    host = FrameHost()
    await host.start()
    yield host
    await host.stop()


async def predict(
    session: aiohttp.ClientSession,
    ml_url: str,
    frame_url: str,
    token: str | None = None,
) -> tuple[int, Any]:
    """Call ``/p/`` on a frame; return the status and the JSON (None if not JSON)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.get(
        f"{ml_url}/p/", params={"img": frame_url}, headers=headers
    ) as response:
        if response.content_type != "application/json":
            return response.status, None
        return response.status, await response.json()


async def detections_of(
    session: aiohttp.ClientSession, simulator: ObicoMlSimulator, frame_url: str
) -> list[list[Any]]:
    """The detections the simulator answers for a frame, which must be a 200."""
    status, body = await predict(session, simulator.url, frame_url)
    assert status == 200, body
    detections: list[list[Any]] = body["detections"]
    return detections


def assert_detections_match(
    found: list[list[Any]], expected: list[list[Any]], confidence_tolerance: float
) -> None:
    """Same count, order and boxes; confidences within the tolerance."""
    assert [detection[0] for detection in found] == ["failure"] * len(expected)
    assert [detection[2] for detection in found] == [
        detection[2] for detection in expected
    ]
    for (_, confidence, _), (_, promised, _) in zip(found, expected, strict=True):
        assert confidence == pytest.approx(promised, abs=confidence_tolerance)


# --- The marker ----------------------------------------------------------------


@pytest.mark.parametrize("size", [FRAME, ODD_FRAME], ids=["640x480", "650x490"])
@pytest.mark.parametrize(
    "rectangles", list(MARKER_CASES.values()), ids=list(MARKER_CASES)
)
async def test_png_marker_gives_the_documented_detections(
    simulator: ObicoMlSimulator,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    size: tuple[int, int],
    rectangles: list[Rectangle],
) -> None:
    """A lossless frame gives exactly what the module docstring says."""
    url = frames.serve("/f.png", marker_frame(size, rectangles, "PNG"), "image/png")

    found = await detections_of(session, simulator, url)

    assert_detections_match(found, documented_detections(size, rectangles), 1e-9)


@pytest.mark.parametrize(
    "rectangles", list(MARKER_CASES.values()), ids=list(MARKER_CASES)
)
async def test_jpeg_marker_survives_compression(
    simulator: ObicoMlSimulator,
    session: aiohttp.ClientSession,
    frames: FrameHost,
    rectangles: list[Rectangle],
) -> None:
    """JPEG artefacts move a confidence by under 0.01 and no box at all."""
    url = frames.serve("/f.jpg", marker_frame(FRAME, rectangles, "JPEG"))

    found = await detections_of(session, simulator, url)

    assert_detections_match(found, documented_detections(FRAME, rectangles), 0.01)


async def test_markers_in_touching_cells_are_one_blob(
    simulator: ObicoMlSimulator, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Two markers 4 px apart are one detection: their pixels and their joint box."""
    rectangles = [(100, 100, 40, 40), (144, 110, 20, 20)]
    url = frames.serve("/f.png", marker_frame(FRAME, rectangles, "PNG"), "image/png")

    found = await detections_of(session, simulator, url)

    area = (40 * 40 + 20 * 20) / (FRAME[0] * FRAME[1])
    assert found == [
        ["failure", pytest.approx(area / 0.01), [132.0, 120.0, 64.0, 40.0]]
    ]


async def test_scripted_detections_come_before_the_marker(
    simulator: ObicoMlSimulator, session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """A test's script wins; once it is used up, the frame speaks again."""
    url = frames.serve("/f.jpg", marker_frame(FRAME, [(100, 80, 40, 30)], "JPEG"))
    scripted = [["failure", 0.5, [1.0, 2.0, 3.0, 4.0]]]
    simulator.script(scripted, [])

    assert await detections_of(session, simulator, url) == scripted
    assert await detections_of(session, simulator, url) == []
    assert len(await detections_of(session, simulator, url)) == 1


async def test_a_simulator_that_keeps_no_records(
    session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """The command line's simulator runs for hours: it keeps no call and no frame."""
    simulator = ObicoMlSimulator(keep_records=False)
    await simulator.start()
    try:
        url = frames.serve("/f.png", marker_frame(FRAME, [], "PNG"), "image/png")
        assert await detections_of(session, simulator, url) == []
    finally:
        await simulator.stop()

    assert simulator.requests == []
    assert simulator.fetched == []


# --- The command line ----------------------------------------------------------


def clean_environment(**overrides: str) -> dict[str, str]:
    """Our environment without PYTHONPATH: the script must find its own way."""
    environment = {
        name: value for name, value in os.environ.items() if name != "PYTHONPATH"
    }
    return environment | overrides


@asynccontextmanager
async def running_script(
    script: str, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """Run ``scripts/<script>`` as a process; yield it and its first line.

    The process is killed at the end, whatever the test did.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPTS / script),
        *args,
        env=env or clean_environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(STARTUP_TIMEOUT):
            line = (await process.stdout.readline()).decode()
        yield process, line.rstrip("\n")
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def stop_with(process: asyncio.subprocess.Process, signum: int) -> int:
    """Send ``signum`` and return the exit code."""
    process.send_signal(signum)
    async with asyncio.timeout(STOP_TIMEOUT):
        return await process.wait()


async def failure_of(process: asyncio.subprocess.Process) -> str:
    """What a process that printed no start line said on stderr."""
    assert process.stderr is not None
    async with asyncio.timeout(STOP_TIMEOUT):
        return (await process.stderr.read()).decode()


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"]
)
async def test_command_line_serves_until_signalled(
    session: aiohttp.ClientSession, frames: FrameHost, signum: int
) -> None:
    """It says where it listens, answers as the ML API, and exits 0 on a signal."""
    port = free_port()
    args = ("--port", str(port), "--token", TOKEN, "--inference-delay", "0")
    marker = [(100, 80, 40, 30)]
    url = frames.serve("/f.png", marker_frame(FRAME, marker, "PNG"), "image/png")

    async with running_script("obico_ml_simulator.py", *args) as (process, line):
        assert line, await failure_of(process)
        assert line == f"Obico ML API simulator on http://127.0.0.1:{port}"
        ml_url = f"http://127.0.0.1:{port}"
        async with session.get(f"{ml_url}/hc/") as response:
            assert (response.status, await response.text()) == (200, "ok")
        assert await predict(session, ml_url, url) == (401, None)
        assert await predict(session, ml_url, url, TOKEN) == (
            200,
            {"detections": documented_detections(FRAME, marker)},
        )

        assert await stop_with(process, signum) == 0


async def test_command_line_takes_the_token_from_the_environment(
    session: aiohttp.ClientSession, frames: FrameHost
) -> None:
    """Like the real server, ML_API_TOKEN sets the token."""
    port = free_port()
    env = clean_environment(ML_API_TOKEN=TOKEN)
    url = frames.serve("/f.png", marker_frame(FRAME, [], "PNG"), "image/png")

    async with running_script(
        "obico_ml_simulator.py", "--port", str(port), env=env
    ) as (process, line):
        assert line, await failure_of(process)
        ml_url = f"http://127.0.0.1:{port}"
        assert await predict(session, ml_url, url) == (401, None)
        assert await predict(session, ml_url, url, TOKEN) == (200, {"detections": []})
        assert await stop_with(process, signal.SIGTERM) == 0


async def test_command_line_on_a_taken_port_says_so() -> None:
    """A port in use is a one-line error and exit code 1, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with running_script("obico_ml_simulator.py", "--port", str(port)) as (
            process,
            line,
        ):
            assert line == ""
            async with asyncio.timeout(STOP_TIMEOUT):
                assert await process.wait() == 1
            message = await failure_of(process)

    assert message.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in message


async def test_simulator_imports_no_home_assistant() -> None:
    """The demo may run it with any Python that has aiohttp and Pillow."""
    code = (
        "import sys, obico_ml_simulator; "
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
