"""A printer's state on disk: its print, its lifetime baseline, pending work, history.

A change is written at most SAVE_DELAY after it was made, however many follow
(a crash loses at most that much), and a decision is written before it is acted
on, so that a restart never repeats a pause.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .actions import PendingWork
from .alerts import AlertState, Phase
from .const import DOMAIN
from .history import History
from .prediction import PredictionState

STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 3
SAVE_DELAY = 10
"""Seconds from a change to its write."""


@dataclass(slots=True, kw_only=True)
class StoredPrinter:
    """Everything of a printer that outlives a restart."""

    prediction: PredictionState
    alerts: AlertState
    phase: Phase | None
    job: str | None
    enabled: bool
    pending: PendingWork
    history: History = field(default_factory=History)

    def to_dict(self) -> dict[str, Any]:
        """Return the stored form."""
        return {
            "prediction": self.prediction.to_dict(),
            "alerts": self.alerts.to_dict(),
            "phase": None if self.phase is None else self.phase.value,
            "job": self.job,
            "enabled": self.enabled,
            "pending": self.pending.to_dict(),
            "history": self.history.to_list(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoredPrinter:
        """Read the stored form; damaged parts fall back to their defaults."""
        phase, job = data.get("phase"), data.get("job")
        return cls(
            prediction=PredictionState.from_dict(_mapping(data.get("prediction"))),
            alerts=AlertState.from_dict(_mapping(data.get("alerts"))),
            phase=Phase(phase) if phase in set(Phase) else None,
            job=job if isinstance(job, str) else None,
            enabled=data.get("enabled") is not False,
            pending=PendingWork.from_dict(_mapping(data.get("pending"))),
            history=History.from_list(data.get("history")),
        )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def storage_key(subentry_id: str) -> str:
    """The storage key of a printer's state."""
    return f"{DOMAIN}.printer.{subentry_id}"


class _Store(Store[dict[str, Any]]):
    """The printer store, with the migrations of its older forms."""

    @override
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        if old_minor_version < 2:
            # 1.2 saves pending work too; a 1.1 store had none to save.
            old_data = {**old_data, "pending": PendingWork().to_dict()}
        if old_minor_version < 3:
            # 1.3 keeps a history of events; older versions kept none.
            old_data = {**old_data, "history": []}
        return old_data


class PrinterStore:
    """Loads and writes one printer's state."""

    def __init__(
        self,
        hass: HomeAssistant,
        subentry_id: str,
        current: Callable[[], StoredPrinter],
    ) -> None:
        """Write what ``current`` returns."""
        self._store = _Store(
            hass,
            STORAGE_VERSION,
            storage_key(subentry_id),
            minor_version=STORAGE_MINOR_VERSION,
        )
        self._current = current
        self._unsaved_since: datetime | None = None

    async def async_load(self) -> StoredPrinter | None:
        """The state saved last, or None for a new printer."""
        stored = await self._store.async_load()
        return None if stored is None else StoredPrinter.from_dict(stored)

    @callback
    def save_soon(self) -> None:
        """Write within SAVE_DELAY of the first change not yet written.

        Home Assistant's delayed save restarts its delay at each call, which
        frames coming faster than the delay would put off for ever.
        """
        now = dt_util.utcnow()
        if self._unsaved_since is None:
            self._unsaved_since = now
        waited = (now - self._unsaved_since).total_seconds()
        self._store.async_delay_save(self._data_to_write, max(SAVE_DELAY - waited, 0))

    async def async_save_now(self) -> None:
        """Write at once."""
        await self._store.async_save(self._data_to_write())

    async def async_remove(self) -> None:
        """Forget the printer's state."""
        await self._store.async_remove()

    def _data_to_write(self) -> dict[str, Any]:
        self._unsaved_since = None
        return self._current().to_dict()


async def async_remove_printer_state(hass: HomeAssistant, subentry_id: str) -> None:
    """Forget the state of a printer that is no longer set up."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, storage_key(subentry_id)
    ).async_remove()
