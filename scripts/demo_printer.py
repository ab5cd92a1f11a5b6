"""A demo 3D printer: a camera snapshot of a print that progresses and may fail.

For ``scripts/develop`` and the end-to-end tests. ``GET /snapshot.jpg`` shows
a stylised printer (1280x720 JPEG, under the 1296 px shrink limit): a bed and
an object that grows layer by layer. A *failing* print stops growing after
``FAILURE_ONSET`` frames and turns into spaghetti, drawn in the simulator's
marker colour (``scripts/obico_ml_simulator.py``), so that the simulator
reports it and Obico's math reaches the warning level and then the pause
level: ``frames_to_levels`` says at which frames (48 and 53 with Pillow 12,
eight to nine minutes at Obico's 10 s interval). A *good* print shows no
marker at all and never alerts.

The print moves with the frame count, never with the clock: each GET of the
snapshot while printing advances it by one frame and shows the new frame, so
the n-th snapshot of a print is frame n, Obico's frame n when every snapshot
is analyzed once. Anything else that fetches the snapshot (a dashboard) moves
the print on too. While idle, paused or finished the picture stands still.

Control::

    POST /print?outcome=good|failing   a new print, from frame 0
    POST /pause, POST /resume, POST /finish
    GET  /status    {"state": "idle|printing|paused|finished",
                     "frame": n, "outcome": "good|failing|null"}

Each answers the status. Pausing twice is no error; a missing outcome is 400,
and pausing, resuming or finishing with no print to act on is 409, with the
status and an "error" that says why.

Run it: ``python scripts/demo_printer.py --port 8125 [--host 127.0.0.1]``
prints ``Demo printer on http://HOST:PORT`` once it listens, and exits 0 on
SIGINT or SIGTERM. It needs only aiohttp and Pillow, never Home Assistant.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
import functools
import io
import math
import random
import sys

from aiohttp import web
from PIL import Image, ImageDraw, ImageFont

try:
    from scripts.obico_ml_simulator import (
        MARKER_COLOR,
        Detections,
        decode_frame,
        marker_detections,
        port_number,
        run_server,
        start_app,
    )
except ImportError:  # run as a script: scripts/ itself is on sys.path
    from obico_ml_simulator import (  # type: ignore[import-not-found, no-redef]
        MARKER_COLOR,
        Detections,
        decode_frame,
        marker_detections,
        port_number,
        run_server,
        start_app,
    )

OUTCOMES = ("good", "failing")
PRINT_FRAMES = 200  # frames from an empty bed to the finished object
FAILURE_ONSET = 30  # the last good frame of a failing print
LEVELS_HORIZON = 120  # frames frames_to_levels looks at

FRAME_SIZE = (1280, 720)
JPEG_QUALITY = 90

# The scene, in pixels of the frame. Nothing but the spaghetti comes near the
# marker colour.
BACKGROUND = (24, 26, 31)
FRAME_COLOR = (72, 74, 82)
GANTRY_COLOR = (96, 98, 108)
TOOLHEAD_COLOR = (52, 54, 60)
NOZZLE_COLOR = (196, 160, 64)
BED_COLOR = (58, 62, 70)
BED_EDGE_COLOR = (38, 40, 46)
LAYER_COLORS = ((236, 128, 36), (214, 112, 30))  # orange PLA, layer by layer
TEXT_COLOR = (208, 210, 216)

BED_TOP = 560
OBJECT_LEFT, OBJECT_RIGHT = 540, 740
OBJECT_HEIGHT = 320
LAYER_HEIGHT = 4
PARKED_NOZZLE = (250, 200)  # where the toolhead waits while not printing

STRAND_WIDTH = 5
STRAND_STEPS = 5
STRAND_STEP_LENGTH = 11
STRAND_TURN = 0.9  # radians a strand may turn at each step
STRANDS_PER_CLUMP = 80  # a clump stops growing there


@dataclass(frozen=True, slots=True)
class Clump:
    """One mess of spaghetti: where it lies and the first frame it shows."""

    left: int
    top: int
    right: int
    bottom: int
    first_frame: int


# One clump hangs from the nozzle, two fall on the bed. They lie 50 px apart,
# strands and all, beyond the 32 px at which the simulator may join two blobs:
# it sees three detections, whose sum can pass the pause level (one detection
# is at most 0.99, too little this early in a print).
CLUMP_STAGGER = 6
CLUMPS = (
    Clump(520, 360, 760, 500, FAILURE_ONSET + 1),
    Clump(250, 470, 470, 600, FAILURE_ONSET + 1 + CLUMP_STAGGER),
    Clump(810, 470, 1030, 600, FAILURE_ONSET + 1 + 2 * CLUMP_STAGGER),
)


# --- The picture ---------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def render_frame(
    frame_number: int, outcome: str | None, state: str = "printing"
) -> bytes:
    """Return the JPEG snapshot of a print at ``frame_number`` (0: empty bed).

    ``outcome`` is "good", "failing" or None (no print yet); ``state`` only
    changes the caption and where the toolhead is.
    """
    scene = Image.new("RGB", FRAME_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(scene)
    top = object_top(frame_number, outcome)
    _draw_printer(draw)
    _draw_object(draw, top)
    if state in {"printing", "paused"}:
        _draw_toolhead(draw, (nozzle_x(frame_number), top))
    else:
        _draw_toolhead(draw, PARKED_NOZZLE)
    if outcome == "failing":
        _draw_spaghetti(draw, frame_number)
    _draw_caption(draw, frame_number, state)
    buffer = io.BytesIO()
    # 4:4:4 chroma: subsampling would smear the thin magenta strands into the
    # dark background, and the simulator would see less of them.
    scene.save(buffer, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
    return buffer.getvalue()


def printed_layers(frame_number: int, outcome: str | None) -> int:
    """Return how many layers the object has: a failing print stops at its onset."""
    if outcome is None:
        return 0
    if outcome == "failing":
        frame_number = min(frame_number, FAILURE_ONSET)
    progress = min(frame_number, PRINT_FRAMES) / PRINT_FRAMES
    return int(progress * OBJECT_HEIGHT) // LAYER_HEIGHT


def object_top(frame_number: int, outcome: str | None) -> int:
    """Return the row of the object's top, which is where the nozzle is."""
    return BED_TOP - printed_layers(frame_number, outcome) * LAYER_HEIGHT


def nozzle_x(frame_number: int) -> int:
    """Return the nozzle's column: it sweeps the object, a step per frame."""
    width = OBJECT_RIGHT - OBJECT_LEFT
    return OBJECT_LEFT + (frame_number * 37) % width


def _draw_printer(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle((150, 70, 180, 640), fill=FRAME_COLOR)
    draw.rectangle((1100, 70, 1130, 640), fill=FRAME_COLOR)
    draw.rectangle((150, 70, 1130, 96), fill=FRAME_COLOR)
    draw.polygon(
        [(230, BED_TOP), (1050, BED_TOP), (1090, 610), (190, 610)], fill=BED_COLOR
    )
    draw.rectangle((190, 610, 1090, 626), fill=BED_EDGE_COLOR)


def _draw_object(draw: ImageDraw.ImageDraw, top: int) -> None:
    for index, row in enumerate(range(BED_TOP, top, -LAYER_HEIGHT)):
        color = LAYER_COLORS[index % len(LAYER_COLORS)]
        draw.rectangle(
            (OBJECT_LEFT, row - LAYER_HEIGHT, OBJECT_RIGHT - 1, row - 1), fill=color
        )


def _draw_toolhead(draw: ImageDraw.ImageDraw, nozzle: tuple[int, int]) -> None:
    x, y = nozzle
    gantry = y - 96
    draw.rectangle((180, gantry, 1100, gantry + 18), fill=GANTRY_COLOR)
    draw.rectangle((x - 36, gantry - 10, x + 36, y - 22), fill=TOOLHEAD_COLOR)
    draw.polygon([(x - 10, y - 22), (x + 10, y - 22), (x, y - 2)], fill=NOZZLE_COLOR)


def _draw_spaghetti(draw: ImageDraw.ImageDraw, frame_number: int) -> None:
    for index, clump in enumerate(CLUMPS):
        shown = min(max(frame_number - clump.first_frame + 1, 0), STRANDS_PER_CLUMP)
        for strand in _strands(index)[:shown]:
            draw.line(strand, fill=MARKER_COLOR, width=STRAND_WIDTH, joint="curve")


@functools.cache
def _strands(clump_index: int) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Return a clump's strands, the same on every run: one more per frame."""
    clump = CLUMPS[clump_index]
    # A fixed seed per clump: the mess must be the same in every process, or
    # frames_to_levels would not predict the server.
    rng = random.Random(7919 * (clump_index + 1))
    return tuple(_strand(clump, rng) for _ in range(STRANDS_PER_CLUMP))


def _strand(clump: Clump, rng: random.Random) -> tuple[tuple[float, float], ...]:
    """A wiggly strand, kept inside its clump so that clumps never touch."""
    # The line's width reaches past its points by half: keep them that far in.
    margin = STRAND_WIDTH
    low_x, high_x = clump.left + margin, clump.right - margin
    low_y, high_y = clump.top + margin, clump.bottom - margin
    centre = ((low_x + high_x) / 2, (low_y + high_y) / 2)
    x, y = rng.uniform(low_x, high_x), rng.uniform(low_y, high_y)
    heading = rng.uniform(0, 2 * math.pi)
    points = [(x, y)]
    for _ in range(STRAND_STEPS):
        heading += rng.uniform(-STRAND_TURN, STRAND_TURN)
        step_x = x + STRAND_STEP_LENGTH * math.cos(heading)
        step_y = y + STRAND_STEP_LENGTH * math.sin(heading)
        if not (low_x <= step_x <= high_x and low_y <= step_y <= high_y):
            # Curl back towards the middle rather than run along the edge.
            heading = math.atan2(centre[1] - y, centre[0] - x)
            step_x = x + STRAND_STEP_LENGTH * math.cos(heading)
            step_y = y + STRAND_STEP_LENGTH * math.sin(heading)
        x, y = step_x, step_y
        points.append((x, y))
    return tuple(points)


def _draw_caption(draw: ImageDraw.ImageDraw, frame_number: int, state: str) -> None:
    progress = min(frame_number, PRINT_FRAMES) * 100 // PRINT_FRAMES
    text = f"DEMO PRINTER   {state}   frame {frame_number}   {progress} %"
    draw.text((24, 18), text, fill=TEXT_COLOR, font=_font())


@functools.cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=26)
    except (TypeError, ImportError, OSError):  # Pillow before 10.1, or no FreeType
        return ImageFont.load_default()


# --- What the simulator and Obico's math make of it ----------------------------


def frame_detections(frame_number: int, outcome: str) -> Detections:
    """Return the simulator's detections for one frame of a print."""
    return marker_detections(decode_frame(render_frame(frame_number, outcome)))


@functools.cache
def frames_to_levels(
    outcome: str, sensitivity: float = 1.0, horizon: int = LEVELS_HORIZON
) -> tuple[int | None, int | None]:
    """Return the first frames at Obico's warning and pause levels, or None.

    Replays the print's frames, from a fresh PredictionState, through the
    simulator's marker measurement and ``custom_components/obico/prediction.py``,
    up to the pause level or ``horizon`` frames.
    """
    # Here, not at the top: the demo itself runs without Home Assistant, and
    # importing custom_components.obico imports it.
    from custom_components.obico.prediction import (  # noqa: PLC0415
        PredictionState,
        should_alert,
        should_pause,
        update,
    )

    state = PredictionState()
    warning_frame: int | None = None
    for frame_number in range(1, horizon + 1):
        update(state, frame_detections(frame_number, outcome))
        if warning_frame is None and should_alert(state, sensitivity):
            warning_frame = frame_number
        if should_pause(state, sensitivity):
            return warning_frame, frame_number
    return warning_frame, None


# --- The server ----------------------------------------------------------------


class DemoPrinter:
    """The demo printer's HTTP server."""

    def __init__(self) -> None:
        """Prepare an idle printer."""
        self.url = ""
        self.state = "idle"
        self.frame = 0
        self.outcome: str | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> None:
        """Listen on ``host``, on a free port unless told which."""
        app = web.Application()
        app.router.add_get("/snapshot.jpg", self._snapshot)
        app.router.add_get("/status", self._status)
        app.router.add_post("/print", self._print)
        app.router.add_post("/pause", self._pause)
        app.router.add_post("/resume", self._resume)
        app.router.add_post("/finish", self._finish)
        self._runner, self.url = await start_app(app, host, port)

    async def stop(self) -> None:
        """Close the listening socket and the handlers."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def status(self) -> dict[str, object]:
        """Return what ``GET /status`` answers."""
        return {"state": self.state, "frame": self.frame, "outcome": self.outcome}

    async def _snapshot(self, request: web.Request) -> web.Response:
        # Advanced before anything is awaited: two GETs at once are two frames.
        if self.state == "printing":
            self.frame += 1
        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(
            None, render_frame, self.frame, self.outcome, self.state
        )
        return web.Response(
            body=body, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
        )

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(self.status())

    async def _print(self, request: web.Request) -> web.Response:
        outcome = request.query.get("outcome")
        if outcome not in OUTCOMES:
            return self._refusal(400, f"outcome must be one of {', '.join(OUTCOMES)}")
        self.state, self.frame, self.outcome = "printing", 0, outcome
        return web.json_response(self.status())

    async def _pause(self, request: web.Request) -> web.Response:
        return self._move(from_states=("printing", "paused"), to_state="paused")

    async def _resume(self, request: web.Request) -> web.Response:
        return self._move(from_states=("paused", "printing"), to_state="printing")

    async def _finish(self, request: web.Request) -> web.Response:
        return self._move(
            from_states=("printing", "paused", "finished"), to_state="finished"
        )

    def _move(self, from_states: Sequence[str], to_state: str) -> web.Response:
        # Asking twice is no error (a pause retried after a lost answer), but
        # there is nothing to pause, resume or finish without a print.
        if self.state not in from_states:
            return self._refusal(409, f"cannot go from {self.state} to {to_state}")
        self.state = to_state
        return web.json_response(self.status())

    def _refusal(self, status: int, message: str) -> web.Response:
        return web.json_response({**self.status(), "error": message}, status=status)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=port_number, default=8125)
    parser.add_argument("--host", default="127.0.0.1")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo printer until SIGINT or SIGTERM."""
    args = _parse_args(argv)
    return run_server(DemoPrinter(), "Demo printer", args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
