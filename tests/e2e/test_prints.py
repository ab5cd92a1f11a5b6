"""A failing print and a clean print, side by side in one real Home Assistant.

Everything runs as it does for a user: `hass`, the Obico ML API simulator and
two demo printers are processes on loopback ports; the printers are added
through the config flows and watched only through the REST and websocket API.
Obico's own math, replayed over the demo printer's frames, says when the
failing print must warn and pause (``frames_to_levels``); the clean print must
never alert. The failing printer's last analyzed frame shows the simulator's
boxes in the failure colour; the clean printer's shows none. Frames come at
Obico's 10 s interval and no faster, so the two prints run at once, and the
test takes about ten minutes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
import time
from typing import IO, Any

import aiohttp
import pytest

from custom_components.obico.annotate import (
    FAILURE_COLOR,
    VISUALIZATION_THRESH,
    WARNING_COLOR,
)
from custom_components.obico.const import MIN_INTERVAL
from scripts.demo_printer import (
    FRAME_SIZE,
    frame_detections,
    frames_to_levels,
    render_frame,
)
from scripts.lib.demo_dashboard import URL_PATH
from scripts.lib.demo_package import DemoPrinter
from scripts.lib.demo_stack import DemoStack
from tests.e2e.annotated import around, colour_mask, count_in, decode_jpeg
from tests.e2e.stack import (
    PrinterEntities,
    error_lines,
    log_problems,
    printer_entities,
    start,
)

FAILING = "Failing printer"
CLEAN = "Clean printer"
ALERTING = {"warning", "failure", "paused"}
POLL = 1.0
SETUP_TIMEOUT = 120
EVENT_GRACE = 10
# Frames a few past the pause, beyond which a failing print that did not pause
# is not watched any longer.
PAST_THE_PAUSE = 5
# A box of the demo's failing frame is some 4,000 pixels of line and label.
BOX_PIXELS = 1000
# How far from a detection's box its lines and its label may lie.
BOX_MARGIN = 8
LABEL_HEIGHT = 40
# The share of the failure-coloured pixels that lie at the boxes.
AT_THE_BOXES = 0.95
# A few stray amber pixels where JPEG blurs the orange print: no box.
STRAY_PIXELS = 100
# For pytest-timeout only, in case the test's own bounds fail: 53 frames at the
# 10 s interval are nine minutes.
TEST_TIMEOUT = 1800


@dataclass(frozen=True)
class Levels:
    """The frames at which Obico's math puts the failing print at each level."""

    warning: int
    pause: int

    @property
    def print_timeout(self) -> float:
        """Long enough for frames a few past the pause, each slow to analyze."""
        return (self.pause + PAST_THE_PAUSE) * (MIN_INTERVAL + 3) + 60


@dataclass
class Watched:
    """What one printer showed through the REST API, poll after poll."""

    frames: int = 0
    detection_states: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    warning_frame: int | None = None
    paused_frame: int | None = None
    failure: str | None = None

    def observe(
        self, states: dict[str, str], entities: PrinterEntities, printer: DemoPrinter
    ) -> None:
        """Take one snapshot of the states: one coordinator update writes them all."""
        frames = states.get(entities.frames_analyzed, "")
        self.frames = int(frames) if frames.isdigit() else 0
        detection_state = states.get(entities.detection_state, "")
        status = states.get(printer.status, "")
        self.failure = states.get(entities.failure)
        if self.detection_states[-1:] != [detection_state]:
            self.detection_states.append(detection_state)
        if self.statuses[-1:] != [status]:
            self.statuses.append(status)
        if detection_state == "warning" and self.warning_frame is None:
            self.warning_frame = self.frames
        if status == "paused" and self.paused_frame is None:
            self.paused_frame = self.frames


@dataclass
class Run:
    """What both prints showed, what was fired, and what the demo printers say."""

    levels: Levels
    alert_entities: dict[str, str] = field(default_factory=dict)
    entities: dict[str, PrinterEntities] = field(default_factory=dict)
    # Each printer's last analyzed frame, through the image entity's proxy.
    last_frames: dict[str, bytes] = field(default_factory=dict)
    dashboard: dict[str, Any] = field(default_factory=dict)
    watched: dict[str, Watched] = field(default_factory=dict)
    state_changes: list[dict[str, Any]] = field(default_factory=list)
    printers: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def alerts(self, event_type: str, printer: str | None = None) -> list[Any]:
        """The attributes of each event of that type fired by an alert entity.

        An event is a new state of the entity (a new time); those of
        ``printer``'s alert entity only, if given, else of every printer's.
        """
        entities = (
            {self.alert_entities[printer]}
            if printer is not None
            else set(self.alert_entities.values())
        )
        return [
            new["attributes"]
            for change in self.state_changes
            if change["data"]["entity_id"] in entities
            and (new := change["data"]["new_state"]) is not None
            and (old := change["data"]["old_state"]) is not None
            and new["state"] != old["state"]
            and new["attributes"].get("event_type") == event_type
        ]


def both_done(run: Run) -> bool:
    """The failing print paused and told, or went past its pause; the clean one as far.

    The events are fired right after the pause is asked for, but come over
    another socket: they are given a few seconds.
    """
    failing, clean = run.watched[FAILING], run.watched[CLEAN]
    pause = run.levels.pause
    paused_at = run.timings.get(f"{FAILING}: paused")
    told = bool(run.alerts("warning", FAILING) and run.alerts("failure", FAILING))
    failing_done = (
        paused_at is not None and (told or time.monotonic() > paused_at + EVENT_GRACE)
    ) or failing.frames > pause + PAST_THE_PAUSE
    return failing_done and clean.frames >= pause


async def watch(
    stack: DemoStack, entities: dict[str, PrinterEntities], run: Run
) -> None:
    """Poll every state once a second until both prints are done."""
    run.watched = {printer.name: Watched() for printer in stack.printers}
    while not both_done(run):
        states = {
            state["entity_id"]: state["state"]
            for state in await stack.hass.request("GET", "/api/states")
        }
        for printer in stack.printers:
            watched = run.watched[printer.name]
            warned, paused = watched.warning_frame, watched.paused_frame
            watched.observe(states, entities[printer.name], printer)
            if warned is None and watched.warning_frame is not None:
                run.timings[f"{printer.name}: warning"] = time.monotonic()
            if paused is None and watched.paused_frame is not None:
                run.timings[f"{printer.name}: paused"] = time.monotonic()
        await asyncio.sleep(POLL)


async def run_both_prints(stack: DemoStack, run: Run) -> None:
    """Add the printers, start both prints, and watch them to the end."""
    async with asyncio.timeout(SETUP_TIMEOUT):
        entry_id = await stack.add_entries(interval=MIN_INTERVAL)
        # scripts/develop's dashboard, saved twice as at a second start.
        for _ in range(2):
            await stack.add_dashboard(entry_id)
    run.timings["entries added"] = time.monotonic()
    async with stack.hass.websocket() as ws:
        async with asyncio.timeout(SETUP_TIMEOUT):
            entities = await printer_entities(ws, entry_id)
        run.entities = entities
        run.dashboard = await ws.command("lovelace/config", url_path=URL_PATH)
        run.alert_entities = {name: found.alert for name, found in entities.items()}
        # What automations hear of the alerts: the state changes of the printers'
        # alert event entities.
        run.state_changes = await ws.subscribe_events("state_changed")
        failing, clean = stack.printers
        await stack.run_script(failing.script("start_a_failing_print"))
        await stack.run_script(clean.script("start_a_good_print"))
        run.timings["prints started"] = time.monotonic()
        async with asyncio.timeout(run.levels.print_timeout):
            await watch(stack, entities, run)
        run.timings["prints watched"] = time.monotonic()
    for printer in stack.printers:
        run.printers[printer.name] = await demo_printer_status(stack, printer)
        run.last_frames[printer.name] = await stack.hass.content(
            f"/api/image_proxy/{entities[printer.name].last_frame}"
        )


async def demo_printer_status(stack: DemoStack, printer: DemoPrinter) -> Any:
    """What the demo printer itself says it is doing."""
    async with stack.hass.session.get(f"{printer.base_url}/status") as answer:
        answer.raise_for_status()
        return await answer.json()


def report(run: Run, log: str, started: float) -> str:
    """Everything seen, and every ERROR line of the log, for a failure message."""
    timings = ", ".join(
        f"{what} at {at - started:.0f} s" for what, at in run.timings.items()
    )
    errors = "\n".join(error_lines(log)) or "(none)"
    return (
        f"\nexpected: {run.levels}"
        f"\nwatched: {run.watched}\ndemo printers: {run.printers}"
        f"\nwarning events: {run.alerts('warning')}"
        f"\nfailure events: {run.alerts('failure')}"
        f"\ntimings: {timings}\nERROR lines of the log:\n{errors}"
    )


@pytest.fixture(scope="module")
def levels() -> Levels:
    """Replay the demo printer's prints through Obico's math, once, off the loop."""
    warning, pause = frames_to_levels("failing")
    assert warning is not None, "the demo's failing print never warns"
    assert pause is not None, "the demo's failing print never pauses"
    assert frames_to_levels("good") == (None, None), "the good print alerts"
    return Levels(warning, pause)


@pytest.mark.timeout(TEST_TIMEOUT)
async def test_a_failing_print_pauses_at_the_predicted_frame_a_clean_one_never_alerts(
    config: Path, tool_output: IO[bytes], levels: Levels
) -> None:
    """Warning and pause come on Obico's frames; the clean print runs on untouched."""
    started = time.monotonic()
    run = Run(levels)
    async with start(config, [FAILING, CLEAN], tool_output) as stack:
        run.timings["Home Assistant up"] = time.monotonic()
        try:
            await run_both_prints(stack, run)
        except (AssertionError, TimeoutError, RuntimeError, aiohttp.ClientError) as err:
            pytest.fail(f"{err!r}{report(run, stack.log(), started)}")
    run.timings["all stopped"] = time.monotonic()
    log = stack.log()
    why = report(run, log, started)
    print(why)  # noqa: T201 (the timings, for the record: pytest -rP shows them)

    failing, clean = run.watched[FAILING], run.watched[CLEAN]
    assert failing.warning_frame == levels.warning, why
    assert failing.paused_frame == levels.pause, why
    assert failing.failure == "on", why
    # The demo printer really paused, on the frame Home Assistant last analyzed.
    assert run.printers[FAILING]["state"] == "paused", why
    assert run.printers[FAILING]["frame"] == levels.pause, why
    # One of each, both of the failing printer's alert entity: none of the clean one's.
    warnings = run.alerts("warning", FAILING)
    failures = run.alerts("failure", FAILING)
    assert len(run.alerts("warning")) == len(warnings) == 1, why
    assert len(run.alerts("failure")) == len(failures) == 1, why
    assert (warnings[0]["printer"], warnings[0]["action"]) == (FAILING, "notify"), why
    assert (failures[0]["printer"], failures[0]["action"]) == (FAILING, "pause"), why
    # In Obico's alert zone (above a third) and pause zone (two thirds).
    assert warnings[0]["risk"] > 33, why
    assert failures[0]["risk"] > 66, why

    assert clean.frames >= levels.pause, why
    assert not ALERTING & set(clean.detection_states), why
    assert clean.failure == "off", why
    assert clean.statuses[-1] == "printing", why
    assert "paused" not in clean.statuses, why
    assert run.printers[CLEAN]["state"] == "printing", why
    assert run.printers[CLEAN]["frame"] >= levels.pause, why

    check_failing_frame(run.last_frames[FAILING], levels.pause)
    check_clean_frame(run.last_frames[CLEAN])
    check_dashboard(run.dashboard, run)

    assert stack.hass_process.returncode == 0, why
    assert log_problems(log) == [], why


def check_failing_frame(content: bytes, pause: int) -> None:
    """The paused frame, a box in the failure colour at each detection shown."""
    picture = decode_jpeg(content)
    assert picture.size == FRAME_SIZE
    failure = colour_mask(picture, FAILURE_COLOR)
    detections = [
        box
        for _, confidence, box in frame_detections(pause, "failing")
        if isinstance(confidence, float)
        and confidence > VISUALIZATION_THRESH
        and isinstance(box, list)
    ]
    assert detections, "the demo's paused frame has nothing to draw"
    at_boxes = [
        count_in(failure, around(box, picture.size, BOX_MARGIN, LABEL_HEIGHT))
        for box in detections
    ]
    assert min(at_boxes) > BOX_PIXELS, at_boxes
    assert sum(at_boxes) >= AT_THE_BOXES * count_in(failure), at_boxes
    # The demo frame itself has no pixel of that colour: the boxes are drawn.
    raw = decode_jpeg(render_frame(pause, "failing"))
    assert count_in(colour_mask(raw, FAILURE_COLOR)) == 0


def check_clean_frame(content: bytes) -> None:
    """A frame of the clean print, boxed in no warning or failure colour."""
    picture = decode_jpeg(content)
    assert picture.size == FRAME_SIZE
    assert count_in(colour_mask(picture, FAILURE_COLOR)) == 0
    assert count_in(colour_mask(picture, WARNING_COLOR)) < STRAY_PIXELS


def check_dashboard(dashboard: dict[str, Any], run: Run) -> None:
    """scripts/develop's dashboard shows each printer's last frame and alert."""
    (view,) = dashboard["views"]
    pictures = {
        card["entity"]
        for stack in view["cards"]
        for card in stack["cards"]
        if card["type"] == "picture-entity"
    }
    rows = {
        row
        for stack in view["cards"]
        for card in stack["cards"]
        if card["type"] == "entities"
        for row in card["entities"]
        if isinstance(row, str)
    }
    assert pictures == {found.last_frame for found in run.entities.values()}
    assert {found.alert for found in run.entities.values()} <= rows
