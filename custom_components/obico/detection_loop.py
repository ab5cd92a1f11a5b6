"""The detection loop: one frame at a time, at the printer's interval, while watched.

Each frame starts `interval` after the previous one ended, so a slow camera or
ML server never stacks frames. Faults are sorted by where they came from, said
once when they begin and once when they end (in the log and the history),
and back the loop off; nothing that happens in a frame ends the loop. What
the ML server answers also feeds its repair issues (issues.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .api import ObicoAuthError, ObicoError
from .const import LOGGER, MAX_BACKOFF, DetectionState
from .data import ObicoConfigEntry, PrinterSettings
from .frames import redact_frame_urls
from .history import EventKind, Recorder
from .issues import MlServerWatch
from .round_trip import CaptureError

_FAULTS = {
    DetectionState.CAMERA_UNAVAILABLE: "could not get a frame from the camera",
    DetectionState.ML_UNAVAILABLE: "the Obico ML server failed",
}


@dataclass(frozen=True, slots=True)
class MlError:
    """What the ML server last failed with, and when."""

    time: datetime
    error: str


class DetectionLoop:
    """Runs ``frame`` over and over while ``watching`` says so."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ObicoConfigEntry,
        settings: PrinterSettings,
        *,
        frame: Callable[[], Awaitable[None]],
        watching: Callable[[], bool],
        after_frame: Callable[[], None],
        record: Recorder,
    ) -> None:
        """``frame`` analyzes one frame; ``after_frame`` runs after each, however it went.

        ``record(kind, **facts)`` adds an event to the printer's history.
        """
        self._hass = hass
        self._entry = entry
        self._settings = settings
        self._frame = frame
        self._watching = watching
        self._after_frame = after_frame
        self._record = record
        self._ml_server = MlServerWatch(hass, entry, settings.name)
        self.fault: DetectionState | None = None
        self.last_ml_error: MlError | None = None
        self._faults_in_a_row = 0
        self._next_frame: CALLBACK_TYPE | None = None
        self._frame_running = False

    @callback
    def follow_watching(self, *, first_frame_in: float = 0) -> None:
        """Start when watching begins, and stop when it ends.

        The first frame comes after ``first_frame_in`` seconds. A frame already
        running finishes either way.
        """
        if not self._watching():
            self.stop()
            self._ml_server.stopped_watching()
        elif self._next_frame is None and not self._frame_running:
            self._schedule(first_frame_in)

    @callback
    def stop(self) -> None:
        """Run no more frames."""
        if self._next_frame is not None:
            self._next_frame()
            self._next_frame = None

    @callback
    def _schedule(self, delay: float) -> None:
        self.stop()
        if delay <= 0:
            self._frame_due()
            return
        self._next_frame = async_call_later(
            self._hass, delay, HassJob(self._frame_due, cancel_on_shutdown=True)
        )

    @callback
    def _frame_due(self, _: datetime | None = None) -> None:
        self._next_frame = None
        self._frame_running = True
        self._entry.async_create_background_task(
            self._hass, self._async_run_frame(), f"obico frame {self._settings.name}"
        )

    async def _async_run_frame(self) -> None:
        try:
            await self._frame()
        except CaptureError as err:
            self._fault_began(DetectionState.CAMERA_UNAVAILABLE, err)
        except ObicoError as err:
            self._fault_began(DetectionState.ML_UNAVAILABLE, err)
            self.last_ml_error = MlError(dt_util.utcnow(), redact_frame_urls(str(err)))
            self._ml_server.failed(err)
            if isinstance(err, ObicoAuthError):
                self._entry.async_start_reauth(self._hass)
        except Exception:  # noqa: BLE001 - the loop must outlive any bug of ours
            # Neither the camera's nor the ML server's fault: say so with the
            # traceback, and go on.
            LOGGER.exception(
                "%s: unexpected error analyzing a frame", self._settings.name
            )
        else:
            self._fault_cleared()
            self._ml_server.analyzed()
        finally:
            self._frame_running = False
        if self._watching() and self._next_frame is None:
            self._schedule(self._next_delay())
        self._after_frame()

    def _fault_began(self, fault: DetectionState, err: Exception) -> None:
        self._faults_in_a_row += 1
        if fault is not self.fault:
            error = redact_frame_urls(str(err))
            LOGGER.warning(
                "%s: %s (%s); retrying less often until it works again",
                self._settings.name,
                _FAULTS[fault],
                error,
            )
            self._record(EventKind.FAULT_BEGAN, fault=fault.value, error=error)
        self.fault = fault

    def _fault_cleared(self) -> None:
        if self.fault is not None:
            LOGGER.info("%s: analyzing frames again", self._settings.name)
            self._record(EventKind.FAULT_CLEARED, fault=self.fault.value)
        self.fault = None
        self._faults_in_a_row = 0

    def _next_delay(self) -> int:
        """The interval, doubled for each fault in a row, up to MAX_BACKOFF."""
        return min(self._settings.interval << self._faults_in_a_row, MAX_BACKOFF)
