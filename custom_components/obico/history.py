"""A printer's recent history: its alerts, pauses, answers and faults.

What diagnostics show when a user asks "why did it (not) pause last night?".
Pure: imports nothing from Home Assistant; the caller passes the time. Only
the last HISTORY_LENGTH events are kept, oldest first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import math
from typing import Any, Final, Protocol

HISTORY_LENGTH: Final = 50

type Fact = str | int | float | bool | None
"""A fact of an event: a JSON scalar, so that the history is stored as it is."""

_RESERVED: Final = frozenset({"time", "kind"})


class EventKind(StrEnum):
    """What happened."""

    WARNING = "warning"
    """A warning notice went out."""
    FAILURE = "failure"
    """A failure notice went out."""
    PAUSE_REQUESTED = "pause_requested"
    """The pause entity was pressed (by the detector, or for the user)."""
    PAUSE_CONFIRMED = "pause_confirmed"
    """The printer stopped printing after a press."""
    PAUSE_FAILED = "pause_failed"
    """The printer went on printing after every attempt."""
    POWER_OFF = "power_off"
    """The power switch was turned off (or failed to be)."""
    ACKNOWLEDGED = "acknowledged"
    """The user answered an alert: not a failure, or failed."""
    MUTED = "muted"
    """The user muted the print."""
    FAULT_BEGAN = "fault_began"
    """The camera or the ML server started failing."""
    FAULT_CLEARED = "fault_cleared"
    """Frames were analyzed again after a fault."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event: when, what, and a few facts about it."""

    time: datetime
    """In UTC."""
    kind: EventKind
    facts: Mapping[str, Fact]

    def to_dict(self) -> dict[str, Any]:
        """The stored form: the time in ISO 8601 (UTC), the kind, then the facts."""
        return {
            "time": self.time.isoformat(),
            "kind": self.kind.value,
            **self.facts,
        }

    @classmethod
    def from_dict(cls, data: object) -> HistoryEntry | None:
        """Read the stored form; None when its time or kind is unreadable.

        Facts that are not JSON scalars (or not finite) are dropped.
        """
        if not isinstance(data, Mapping):
            return None
        time = _read_time(data.get("time"))
        kind = data.get("kind")
        if time is None or kind not in set(EventKind):
            return None
        facts = {
            name: value
            for name, value in data.items()
            if isinstance(name, str) and name not in _RESERVED and _is_fact(value)
        }
        return cls(time, EventKind(kind), facts)


def _is_fact(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def _read_time(value: object) -> datetime | None:
    """A time from an ISO 8601 text, in UTC (which it is when it names no zone)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # an offset that takes it past year 1 or 9999
        return None


class Recorder(Protocol):
    """Adds an event, now, to a printer's history."""

    def __call__(self, kind: EventKind, /, **facts: Fact) -> None:
        """Record ``kind`` with ``facts``."""


class History:
    """The last HISTORY_LENGTH events of a printer, oldest first."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[HistoryEntry] = ()) -> None:
        """Start with ``entries`` (only the last HISTORY_LENGTH are kept)."""
        self._entries: deque[HistoryEntry] = deque(entries, maxlen=HISTORY_LENGTH)

    def record(self, kind: EventKind, now: datetime, /, **facts: Fact) -> HistoryEntry:
        """Add an event at ``now`` (aware); the oldest goes once the history is full.

        A fact that is not a finite number is kept as None: it is stored as
        JSON, which has no NaN.
        """
        if reserved := _RESERVED & facts.keys():
            raise ValueError(f"reserved fact names: {sorted(reserved)}")
        if now.tzinfo is None:
            raise ValueError("the time must name its zone")
        entry = HistoryEntry(
            now.astimezone(UTC),
            kind,
            {
                name: None
                if isinstance(value, float) and not math.isfinite(value)
                else value
                for name, value in facts.items()
            },
        )
        self._entries.append(entry)
        return entry

    @property
    def entries(self) -> tuple[HistoryEntry, ...]:
        """Every event kept, oldest first."""
        return tuple(self._entries)

    def __iter__(self) -> Iterator[HistoryEntry]:
        """The events, oldest first."""
        return iter(self._entries)

    def __len__(self) -> int:
        """How many events are kept."""
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        """Equal to another history with the same events."""
        if not isinstance(other, History):
            return NotImplemented
        return self._entries == other._entries

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        """The events, for test failures."""
        return f"History({list(self._entries)!r})"

    def to_list(self) -> list[dict[str, Any]]:
        """The stored form: one dict per event, oldest first."""
        return [entry.to_dict() for entry in self._entries]

    @classmethod
    def from_list(cls, data: object) -> History:
        """Read the stored form; unreadable events are skipped, never raised."""
        if not isinstance(data, list):
            return cls()
        entries = (HistoryEntry.from_dict(item) for item in data)
        return cls(entry for entry in entries if entry is not None)
