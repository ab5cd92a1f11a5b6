"""The integration's runtime types.

What a loaded server entry holds, a printer's settings, and what its entities
show. No logic, and no run-time import of our own modules, so that every module may
import this one and no import runs in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .alerts import Action, Level
    from .api import Detection, ObicoMlClient
    from .const import DetectionState
    from .coordinator import PrinterCoordinator
    from .frames import Frame, FrameStore


@dataclass(kw_only=True)
class ObicoRuntimeData:
    """What a loaded server entry holds while it runs."""

    client: ObicoMlClient
    frames: FrameStore
    ha_url: str | None
    printers: dict[str, PrinterCoordinator]
    """Keyed by the printer's subentry id."""


type ObicoConfigEntry = ConfigEntry[ObicoRuntimeData]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterSettings:
    """A printer subentry's settings, typed."""

    name: str
    frame_entity: str
    print_state_entity: str
    printing_states: tuple[str, ...]
    paused_states: tuple[str, ...]
    pause_entity: str | None
    power_switch: str | None
    power_off_delay: int
    job_entity: str | None
    action: Action
    sensitivity: float
    interval: int
    notify_target: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterSnapshot:
    """What the entities show for one printer."""

    detection_state: DetectionState
    enabled: bool
    failure: bool
    risk: float
    sensitivity: float
    current_p: float
    ewm_mean: float
    frames_analyzed: int
    last_analysis: datetime | None
    detections: tuple[Detection, ...]
    last_frame: AnalyzedFrame | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalyzedFrame:
    """A frame of the detection loop, as the ML server saw it, and its verdict."""

    frame: Frame
    """After the size cap: the very bytes the ML server fetched."""
    detections: tuple[Detection, ...]
    level: Level
    """The printer's level once this frame was counted."""
    analyzed_at: datetime
