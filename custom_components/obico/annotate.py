"""The annotated frame: an analyzed frame with the ML server's boxes drawn on it.

Pure: Pillow only. The frame is shown as the ML server saw it (upright, as
OpenCV turns it), so that each box lands where the model saw the failure. As
Obico's own server does (``overlay_detections``), a box is drawn only for a
confidence above VISUALIZATION_THRESH; unlike Obico's single green, its colour
says the printer's level after that frame, and a label gives its confidence.
Runs in an executor: decoding, drawing and encoding take milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
import io
from typing import TYPE_CHECKING, Final

from PIL import Image, ImageDraw, ImageFont

from .alerts import Level
from .pictures import as_rgb, orientation_of, turn_upright

if TYPE_CHECKING:
    from .api import Detection

# Obico's settings.VISUALIZATION_THRESH: fainter detections still count in the
# math, but are not drawn.
VISUALIZATION_THRESH: Final = 0.2

type Color = tuple[int, int, int]

SAFE_COLOR: Final[Color] = (0, 200, 83)  # green
WARNING_COLOR: Final[Color] = (255, 160, 0)  # amber
FAILURE_COLOR: Final[Color] = (230, 20, 40)  # red
BLACK: Final[Color] = (0, 0, 0)
WHITE: Final[Color] = (255, 255, 255)

ZONE_COLORS: Final[dict[Level, Color]] = {
    Level.SAFE: SAFE_COLOR,
    Level.WARNING: WARNING_COLOR,
    Level.FAILURE: FAILURE_COLOR,
}
# The label's text, readable on its zone's colour.
LABEL_TEXT_COLORS: Final[dict[Level, Color]] = {
    Level.SAFE: BLACK,
    Level.WARNING: BLACK,
    Level.FAILURE: WHITE,
}

# Obico draws 3 px lines on its frames; larger frames get thicker lines and
# larger labels, so that a box reads the same on a phone at any frame size.
MIN_LINE_WIDTH: Final = 3
PIXELS_PER_LINE_WIDTH: Final = 320
MIN_FONT_SIZE: Final = 10
PIXELS_PER_FONT_SIZE: Final = 40
# 4:4:4 keeps the thin coloured lines sharp: the default 4:2:0 halves colour
# resolution and smears a 3 px line into its surroundings.
JPEG_OPTIONS: Final = {"quality": 85, "subsampling": 0}


class UnreadableFrameError(ValueError):
    """Pillow cannot decode the frame (OpenCV, on the ML server, could)."""


def annotate(content: bytes, detections: Iterable[Detection], zone: Level) -> bytes:
    """The frame (a JPEG or PNG) with a labelled box per detection, as a JPEG.

    Boxes are centre-format pixels of the frame as the ML server saw it, drawn
    in the zone's colour; those at or below VISUALIZATION_THRESH are left out.
    With nothing to draw, a JPEG that needs no turning comes back byte for
    byte; any other frame comes back re-encoded, upright, as a JPEG.
    Raises UnreadableFrameError when Pillow cannot decode the frame.
    """
    # The surest last, so that its label lies on top where labels overlap.
    shown = sorted(
        (item for item in detections if item.confidence > VISUALIZATION_THRESH),
        key=lambda item: item.confidence,
    )
    try:
        with Image.open(io.BytesIO(content)) as source:
            orientation = orientation_of(source)
            if not shown and source.format == "JPEG" and orientation == 1:
                return content
            picture = turn_upright(as_rgb(source), orientation)
    except Exception as err:  # Pillow raises many kinds on bad data
        raise UnreadableFrameError(f"the frame could not be decoded: {err}") from err
    _draw(picture, shown, zone)
    output = io.BytesIO()
    picture.save(output, format="JPEG", **JPEG_OPTIONS)
    return output.getvalue()


def _draw(picture: Image.Image, detections: list[Detection], zone: Level) -> None:
    draw = ImageDraw.Draw(picture)
    longest = max(picture.size)
    line_width = max(MIN_LINE_WIDTH, round(longest / PIXELS_PER_LINE_WIDTH))
    # Loaded for each drawing, so that no font object is shared between the
    # executor's threads; Pillow's built-in font loads in well under 1 ms.
    font = ImageFont.load_default(
        size=max(MIN_FONT_SIZE, round(longest / PIXELS_PER_FONT_SIZE))
    )
    for detection in detections:
        outline = _outline(detection.box, picture.size, line_width)
        if outline is None:
            continue
        draw.rectangle(outline, outline=ZONE_COLORS[zone], width=line_width)
        _draw_label(
            draw,
            f"{detection.confidence:.0%}",
            corner=(outline[0], outline[1]),
            frame_size=picture.size,
            zone=zone,
            font=font,
        )


def _outline(
    box: tuple[float, float, float, float], size: tuple[int, int], line_width: int
) -> tuple[int, int, int, int] | None:
    """The rectangle whose lines are centred on the box's edges, or None if unseen.

    Its corners are held just outside the frame: Pillow clips what lies
    beyond, and a box of absurd size still draws in pixels Pillow can count.
    """
    xc, yc, box_width, box_height = box
    # Pillow draws the width inwards from the rectangle it is given.
    half = (line_width - 1) / 2
    left = xc - abs(box_width) / 2 - half
    right = xc + abs(box_width) / 2 + half
    top = yc - abs(box_height) / 2 - half
    bottom = yc + abs(box_height) / 2 + half
    width, height = size
    if right < 0 or bottom < 0 or left > width - 1 or top > height - 1:
        return None

    def held(value: float, end: int) -> int:
        return round(min(max(value, -line_width), end - 1 + line_width))

    return (
        held(left, width),
        held(top, height),
        held(right, width),
        held(bottom, height),
    )


def _draw_label(
    draw: ImageDraw.ImageDraw,
    text: str,
    *,
    corner: tuple[int, int],
    frame_size: tuple[int, int],
    zone: Level,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
) -> None:
    """The text on a patch of the zone's colour, atop the box's top-left corner.

    Inside the box when there is no room above it; always inside the frame.
    """
    width, height = frame_size
    text_left, text_top, text_right, text_bottom = (
        round(value) for value in draw.textbbox((0, 0), text, font)
    )
    padding = max(2, (text_bottom - text_top) // 5)
    label_width = text_right - text_left + 2 * padding
    label_height = text_bottom - text_top + 2 * padding
    left, top = corner
    above = top - label_height
    left = max(0, min(left, width - label_width))
    top = max(0, min(above if above >= 0 else top, height - label_height))
    draw.rectangle(
        (left, top, left + label_width - 1, top + label_height - 1),
        fill=ZONE_COLORS[zone],
    )
    draw.text(
        (left + padding - text_left, top + padding - text_top),
        text,
        fill=LABEL_TEXT_COLORS[zone],
        font=font,
    )
