"""Image of the Obico integration: the last analyzed frame, with its boxes drawn."""

from __future__ import annotations

import asyncio
from datetime import datetime

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .annotate import UnreadableFrameError, annotate
from .const import KEY_LAST_FRAME, LOGGER
from .coordinator import PrinterCoordinator
from .data import AnalyzedFrame, ObicoConfigEntry
from .entity import ObicoPrinterEntity, add_printer_entities

# Nothing is polled; the picture is drawn in the executor, once per frame.
PARALLEL_UPDATES = 0

LAST_FRAME = ImageEntityDescription(key=KEY_LAST_FRAME, translation_key=KEY_LAST_FRAME)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ObicoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the last analyzed frame of every printer."""
    add_printer_entities(
        entry,
        async_add_entities,
        lambda printer: [ObicoLastFrameImage(printer, LAST_FRAME)],
    )


class ObicoLastFrameImage(ObicoPrinterEntity, ImageEntity):
    """The detection loop's last frame, as the ML server saw it, boxes drawn.

    Its state is the time of that frame's analysis; unknown until the first
    frame after a start, since frames are kept in memory only. A new print
    keeps showing the last print's final frame until its own first frame.
    Frames analyzed on request (``analyze_now``) never show here: this is the
    frame the failure entities' verdict was made on.
    """

    _attr_content_type = "image/jpeg"

    def __init__(
        self, coordinator: PrinterCoordinator, description: ImageEntityDescription
    ) -> None:
        """Attach to the printer; nothing is drawn until someone looks."""
        super().__init__(coordinator, description)
        ImageEntity.__init__(self, coordinator.hass)
        # Drawn on the first fetch of each frame, then served from here.
        self._drawn_at: datetime | None = None
        self._drawn: bytes | None = None
        self._drawing = asyncio.Lock()
        self._attr_image_last_updated = self._analyzed_at()

    def _analyzed_at(self) -> datetime | None:
        last_frame = self.coordinator.data.last_frame
        return None if last_frame is None else last_frame.analyzed_at

    @callback
    def _handle_coordinator_update(self) -> None:
        """Follow the last analyzed frame; other updates leave the picture as is."""
        self._attr_image_last_updated = self._analyzed_at()
        super()._handle_coordinator_update()

    async def async_image(self) -> bytes | None:
        """The last analyzed frame with its boxes, or None before the first."""
        last_frame = self.coordinator.data.last_frame
        if last_frame is None:
            return None
        # One drawing per frame, however many dashboards ask at once.
        async with self._drawing:
            if self._drawn_at != last_frame.analyzed_at:
                self._drawn = await self._async_draw(last_frame)
                self._drawn_at = last_frame.analyzed_at
        return self._drawn

    async def _async_draw(self, last_frame: AnalyzedFrame) -> bytes | None:
        try:
            return await self.hass.async_add_executor_job(
                annotate,
                last_frame.frame.content,
                last_frame.detections,
                last_frame.level,
            )
        except UnreadableFrameError as err:
            # OpenCV, on the ML server, reads some frames Pillow does not.
            LOGGER.warning("%s: %s", self.coordinator.settings.name, err)
            return None
