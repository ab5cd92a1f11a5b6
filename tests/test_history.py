"""A printer's history, without Home Assistant: bounded, stored, read back whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from custom_components.obico.history import (
    HISTORY_LENGTH,
    EventKind,
    History,
    HistoryEntry,
)

T0 = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def test_events_are_kept_oldest_first() -> None:
    """Each event is appended with its time, kind and facts."""
    history = History()
    first = history.record(EventKind.WARNING, at(0), risk=45.5, frame=120)
    second = history.record(EventKind.MUTED, at(10))
    assert history.entries == (first, second)
    assert list(history) == [first, second]
    assert len(history) == 2
    assert first == HistoryEntry(at(0), EventKind.WARNING, {"risk": 45.5, "frame": 120})
    assert second.facts == {}


def test_only_the_last_fifty_are_kept() -> None:
    """The 51st event pushes out the first."""
    history = History()
    for second in range(HISTORY_LENGTH + 1):
        history.record(EventKind.FAULT_BEGAN, at(second), n=second)
    assert HISTORY_LENGTH == 50
    assert len(history) == HISTORY_LENGTH
    assert [entry.facts["n"] for entry in history] == list(range(1, 51))


def test_a_history_built_from_more_than_fifty_keeps_the_last() -> None:
    """However it is built, it never holds more than fifty."""
    entries = [HistoryEntry(at(n), EventKind.MUTED, {}) for n in range(60)]
    assert History(entries).entries == tuple(entries[10:])


def test_times_are_kept_in_utc() -> None:
    """A time in another zone is the same moment, in UTC."""
    paris = timezone(timedelta(hours=1))
    entry = History().record(
        EventKind.MUTED, datetime(2026, 11, 24, 22, 0, tzinfo=paris)
    )
    assert entry.time == T0
    assert entry.time.tzinfo is UTC


def test_a_time_without_a_zone_is_refused() -> None:
    """A naive time would be read back as UTC whatever it meant: refuse it."""
    with pytest.raises(ValueError, match="zone"):
        History().record(EventKind.MUTED, datetime(2026, 11, 24, 21, 0))


@pytest.mark.parametrize("name", ["time", "kind"])
def test_time_and_kind_are_not_fact_names(name: str) -> None:
    """They would clash with the entry's own keys in the stored form."""
    history = History()
    with pytest.raises(ValueError, match=name):
        history.record(EventKind.MUTED, T0, **{name: "x"})
    assert len(history) == 0


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_number_that_is_not_finite_is_kept_as_none(value: float) -> None:
    """JSON has no NaN: the fact stays, without a value."""
    entry = History().record(EventKind.FAILURE, T0, risk=value, frame=3)
    assert entry.facts == {"risk": None, "frame": 3}


def test_the_stored_form_is_flat_and_readable() -> None:
    """One dict per event: ISO time, kind, then the facts."""
    history = History()
    history.record(
        EventKind.PAUSE_REQUESTED,
        at(1.5),
        entity_id="button.x1c_pause",
        attempt=2,
        risk=71.25,
        error=None,
        by_user=False,
    )
    history.record(EventKind.ACKNOWLEDGED, at(60), feedback="not_a_failure")
    assert history.to_list() == [
        {
            "time": "2026-11-24T21:00:01.500000+00:00",
            "kind": "pause_requested",
            "entity_id": "button.x1c_pause",
            "attempt": 2,
            "risk": 71.25,
            "error": None,
            "by_user": False,
        },
        {
            "time": "2026-11-24T21:01:00+00:00",
            "kind": "acknowledged",
            "feedback": "not_a_failure",
        },
    ]


def test_every_kind_round_trips() -> None:
    """What is stored reads back equal, for every kind."""
    history = History()
    for n, kind in enumerate(EventKind):
        history.record(kind, at(n * 0.000001), n=n, text="é…", flag=True, none=None)
    assert History.from_list(history.to_list()) == history


def test_a_full_history_round_trips() -> None:
    """Fifty events are stored and read back in order."""
    history = History()
    for n in range(HISTORY_LENGTH + 5):
        history.record(EventKind.WARNING, at(n * 10.25), risk=n / 3)
    assert History.from_list(history.to_list()) == history


@pytest.mark.parametrize("stored", [None, {}, "history", 42, {"time": "x"}])
def test_anything_but_a_list_reads_as_empty(stored: object) -> None:
    """A damaged or missing history loads as an empty one."""
    assert History.from_list(stored) == History()


GOOD: dict[str, Any] = {"time": "2026-11-24T21:00:00+00:00", "kind": "muted"}


@pytest.mark.parametrize(
    "damaged",
    [
        pytest.param("muted", id="not_a_dict"),
        pytest.param(None, id="none"),
        pytest.param({"kind": "muted"}, id="no_time"),
        pytest.param({**GOOD, "time": 1795640400}, id="time_as_number"),
        pytest.param({**GOOD, "time": "yesterday"}, id="time_unreadable"),
        pytest.param({**GOOD, "time": "0001-01-01T00:00:00+01:00"}, id="time_before_1"),
        pytest.param({**GOOD, "time": "9999-12-31T23:59:00-01:00"}, id="after_9999"),
        pytest.param({"time": GOOD["time"]}, id="no_kind"),
        pytest.param({**GOOD, "kind": "exploded"}, id="unknown_kind"),
        pytest.param({**GOOD, "kind": 3}, id="kind_not_text"),
    ],
)
def test_unreadable_events_are_skipped(damaged: object) -> None:
    """One bad event costs only itself."""
    loaded = History.from_list([GOOD, damaged, GOOD])
    assert loaded.entries == (HistoryEntry(T0, EventKind.MUTED, {}),) * 2


def test_facts_that_are_not_json_scalars_are_dropped() -> None:
    """Lists, dicts, NaN and odd keys are dropped; the event stays."""
    loaded = History.from_list(
        [
            {
                **GOOD,
                "risk": 50.5,
                "frame": 7,
                "notice": "warning",
                "paused": True,
                "error": None,
                "boxes": [1, 2],
                "nested": {"a": 1},
                "nan": float("nan"),
                1: "a key that is not text",
            }
        ]
    )
    [entry] = loaded.entries
    assert entry.facts == {
        "risk": 50.5,
        "frame": 7,
        "notice": "warning",
        "paused": True,
        "error": None,
    }


def test_a_time_without_a_zone_is_read_as_utc() -> None:
    """A hand-edited time without its zone is taken as UTC."""
    [entry] = History.from_list([{**GOOD, "time": "2026-11-24T21:00:00"}]).entries
    assert entry.time == T0


def test_a_time_in_another_zone_is_read_in_utc() -> None:
    """The stored offset is honoured, and the time kept in UTC."""
    [entry] = History.from_list([{**GOOD, "time": "2026-11-24T22:00:00+01:00"}]).entries
    assert entry.time == T0
    assert entry.time.tzinfo is UTC


def test_equality_is_by_events() -> None:
    """Two histories are equal when they hold the same events."""
    one, other = History(), History()
    one.record(EventKind.MUTED, T0)
    assert one != other
    other.record(EventKind.MUTED, T0)
    assert one == other
    assert one != [entry.to_dict() for entry in one]
    assert "muted" in repr(one)
    with pytest.raises(TypeError):
        hash(one)
