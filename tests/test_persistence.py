"""A printer's state on disk: when it is written, and what older versions wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.obico.actions import PendingPause, PendingWork
from custom_components.obico.alerts import AlertState, Feedback, Phase
from custom_components.obico.history import EventKind, History
from custom_components.obico.persistence import (
    SAVE_DELAY,
    STORAGE_MINOR_VERSION,
    PrinterStore,
    StoredPrinter,
    storage_key,
)
from custom_components.obico.prediction import PredictionState

SUBENTRY_ID = "01JSTOREDPRINTER0000000000"
KEY = storage_key(SUBENTRY_ID)


def a_history() -> History:
    """A warning, and the user's answer to it."""
    history = History()
    at = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    history.record(EventKind.WARNING, at, risk=45.0, frame=120, notice="warning")
    history.record(EventKind.ACKNOWLEDGED, at, feedback="not_a_failure")
    return history


def a_printer(frames: int = 3) -> StoredPrinter:
    """A printer some frames into a print, with a pause pending and a history."""
    return StoredPrinter(
        prediction=PredictionState(frames, frames + 100, 0.2, 0.1, 0.1, 0.05),
        alerts=AlertState(alerted_at=10.0, feedback=Feedback.FAILED, failure=True),
        phase=Phase.PRINTING,
        job="benchy.3mf",
        enabled=False,
        pending=PendingWork(pause=PendingPause("button.x1c_pause", 2, 99.0, 81.5)),
        history=a_history(),
    )


async def pass_seconds(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass and the timers due run."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def test_the_stored_form_round_trips() -> None:
    """What is written reads back the same."""
    printer = a_printer()
    assert StoredPrinter.from_dict(printer.to_dict()) == printer


def test_damaged_parts_fall_back_to_their_defaults() -> None:
    """A hand-edited or truncated file never stops the printer from loading."""
    damaged = StoredPrinter.from_dict(
        {
            "prediction": "not a dict",
            "alerts": {"alerted_at": "yesterday"},
            "phase": "exploded",
            "job": 42,
            "enabled": "yes",
            "pending": None,
            "history": {"not": "a list"},
        }
    )
    assert damaged == StoredPrinter(
        prediction=PredictionState(),
        alerts=AlertState(),
        phase=None,
        job=None,
        enabled=True,
        pending=PendingWork(),
        history=History(),
    )


async def test_changes_keep_coming_yet_are_written_within_the_delay(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Home Assistant's delayed save would wait for a quiet moment; this does not."""
    printer = a_printer(frames=0)
    store = PrinterStore(hass, SUBENTRY_ID, lambda: printer)
    written_at: list[int] = []
    for second in range(0, 120, 3):  # a change every 3 s, for two minutes
        printer.prediction.current_frame_num = second
        store.save_soon()
        await pass_seconds(hass, freezer, 3)
        stored = hass_storage.get(KEY)
        if (
            stored
            and stored["data"]["prediction"]["current_frame_num"] not in written_at
        ):
            written_at.append(stored["data"]["prediction"]["current_frame_num"])
    # Each write is at most SAVE_DELAY after the change before it.
    assert len(written_at) >= 120 // (SAVE_DELAY + 3)
    gaps = [later - earlier for earlier, later in itertools.pairwise(written_at)]
    assert max(gaps) <= SAVE_DELAY + 3


async def test_one_change_is_written_after_the_delay(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A lone change waits SAVE_DELAY, then is written once."""
    printer = a_printer()
    store = PrinterStore(hass, SUBENTRY_ID, lambda: printer)
    store.save_soon()
    await pass_seconds(hass, freezer, SAVE_DELAY - 1)
    assert KEY not in hass_storage
    await pass_seconds(hass, freezer, 1)
    assert hass_storage[KEY]["data"] == printer.to_dict()
    assert hass_storage[KEY]["minor_version"] == STORAGE_MINOR_VERSION


async def test_save_now_writes_at_once_and_load_reads_it(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A decision is written before it is acted on."""
    printer = a_printer()
    store = PrinterStore(hass, SUBENTRY_ID, lambda: printer)
    assert await store.async_load() is None
    await store.async_save_now()
    assert hass_storage[KEY]["data"] == printer.to_dict()
    assert await PrinterStore(hass, SUBENTRY_ID, a_printer).async_load() == printer
    await store.async_remove()
    assert KEY not in hass_storage


async def test_a_store_of_version_1_1_loads_with_nothing_pending(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Before 1.2 pending work was not saved; an old print loads whole."""
    old = {
        "prediction": PredictionState(250, 900, 0.3, 0.2, 0.15, 0.1).to_dict(),
        "alerts": AlertState(paused_at=5.0, failure=True).to_dict(),
        "phase": "paused",
        "job": "vase.gcode",
        "enabled": True,
    }
    hass_storage[KEY] = {"version": 1, "minor_version": 1, "key": KEY, "data": old}
    loaded = await PrinterStore(hass, SUBENTRY_ID, a_printer).async_load()
    assert loaded == StoredPrinter(
        prediction=PredictionState(250, 900, 0.3, 0.2, 0.15, 0.1),
        alerts=AlertState(paused_at=5.0, failure=True),
        phase=Phase.PAUSED,
        job="vase.gcode",
        enabled=True,
        pending=PendingWork(),
    )


async def test_a_store_of_version_1_2_loads_with_an_empty_history(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Before 1.3 no history was kept; the rest of the state loads whole."""
    before = a_printer()
    old = before.to_dict()
    del old["history"]
    hass_storage[KEY] = {"version": 1, "minor_version": 2, "key": KEY, "data": old}
    loaded = await PrinterStore(hass, SUBENTRY_ID, a_printer).async_load()
    assert loaded is not None
    assert loaded.history == History()
    before.history = History()
    assert loaded == before
