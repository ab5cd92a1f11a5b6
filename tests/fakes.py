"""Real Home Assistant entities standing in for a printer's own integration.

The printer itself lies outside this machine, so its print state is set the way
its integration would set it; the camera, pause button and power switch are real
entities on test platforms.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components.button import ButtonEntity
from homeassistant.components.camera import Camera
from homeassistant.components.image import ImageEntity
from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant

from tests.obico_ml_server import make_jpeg

CAMERA = "camera.workshop_cam"
PRINT_STATE = "sensor.x1c_print_status"
PAUSE_BUTTON = "button.x1c_pause"
POWER_SWITCH = "switch.x1c_power"
PAUSE_SWITCH = "switch.x1c_pause_switch"
JOB = "sensor.x1c_task_name"
IMAGE = "image.printer_snapshot"


async def misbehave(failure: BaseException | None, hangs: bool) -> None:
    """Fail the way another integration's entity might: raise, or never answer."""
    if hangs:
        await asyncio.Event().wait()
    if failure is not None:
        raise failure


class FakeCamera(Camera):
    """A camera whose frames and failures the test controls."""

    _attr_name = "Workshop cam"
    _attr_unique_id = "workshop_cam"

    def __init__(self) -> None:
        """Serve a small JPEG until told otherwise."""
        super().__init__()
        self.frame: bytes | None = make_jpeg()
        self.failure: BaseException | None = None
        self.hangs = False
        self.captures = 0

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        """Return the current frame, or fail as told."""
        await misbehave(self.failure, self.hangs)
        self.captures += 1
        return self.frame


class FakeImage(ImageEntity):
    """An image entity with one picture, like a printer's last snapshot."""

    _attr_name = "Printer snapshot"
    _attr_unique_id = "printer_snapshot"
    _attr_content_type = "image/png"

    def __init__(self, hass: HomeAssistant, picture: bytes) -> None:
        """Hold the picture."""
        super().__init__(hass)
        self.picture = picture
        self.failure: BaseException | None = None
        self.hangs = False

    async def async_image(self) -> bytes | None:
        """Return the picture, or fail as told."""
        await misbehave(self.failure, self.hangs)
        return self.picture


@dataclass
class PrinterState:
    """The printer's side: what its integration reports."""

    hass: HomeAssistant
    obeys_pause: bool = True
    pause_failure: BaseException | None = None
    pause_hangs: bool = False
    power_failure: BaseException | None = None
    pause_presses: int = 0
    power_offs: int = 0

    def set(self, value: str) -> None:
        """Report a new print state, as the printer integration would."""
        self.hass.states.async_set(PRINT_STATE, value)

    @property
    def value(self) -> str:
        """The print state now."""
        state = self.hass.states.get(PRINT_STATE)
        assert state is not None
        return state.state


class FakePauseButton(ButtonEntity):
    """The printer integration's pause button."""

    _attr_name = "X1C pause"
    _attr_unique_id = "x1c_pause"

    def __init__(self, printer: PrinterState) -> None:
        """Press through to the printer."""
        self.printer = printer

    async def async_press(self) -> None:
        """Pause the printer, unless it is one that ignores the command."""
        await misbehave(self.printer.pause_failure, self.printer.pause_hangs)
        self.printer.pause_presses += 1
        if self.printer.obeys_pause:
            self.printer.set("pause")


class FakePowerSwitch(SwitchEntity):
    """The smart plug the printer hangs on."""

    _attr_name = "X1C power"
    _attr_unique_id = "x1c_power"
    _attr_is_on = True

    def __init__(self, printer: PrinterState) -> None:
        """Switch the printer's power."""
        self.printer = printer

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Power the printer."""
        self._attr_is_on = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Cut the printer's power."""
        await misbehave(self.printer.power_failure, hangs=False)
        self.printer.power_offs += 1
        self._attr_is_on = False
        self.async_write_ha_state()


class FakePauseSwitch(SwitchEntity):
    """A printer integration that pauses through a switch (on = paused)."""

    _attr_name = "X1C pause switch"
    _attr_unique_id = "x1c_pause_switch"
    _attr_is_on = False

    def __init__(self, printer: PrinterState) -> None:
        """Switch through to the printer."""
        self.printer = printer

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Pause the printer."""
        self.printer.pause_presses += 1
        self.printer.set("pause")
        self._attr_is_on = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Resume the printer."""
        self.printer.set("running")
        self._attr_is_on = False
        self.async_write_ha_state()


@dataclass
class FakePrinter:
    """Everything the integration sees of one printer."""

    state: PrinterState
    camera: FakeCamera
    events: list[Any] = field(default_factory=list)
