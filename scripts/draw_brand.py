"""Draw the integration's brand images into custom_components/obico/brand/.

Recent Home Assistant releases show a custom integration's own icon and logo
from that folder. These are ours: a print nozzle over a tangle of spaghetti,
with a check mark that says the tangle was caught. Run it again after changing
the drawing: `python scripts/draw_brand.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "obico" / "brand"
ICON_SIZE = 256
LOGO_SIZE = (640, 256)  # Home Assistant's logos are at most 256 px high


@dataclass(frozen=True)
class Palette:
    """The colours of one theme."""

    tile: tuple[int, int, int, int]
    nozzle: tuple[int, int, int, int]
    spaghetti: tuple[int, int, int, int]
    check: tuple[int, int, int, int]
    text: tuple[int, int, int, int]


LIGHT = Palette(
    tile=(18, 104, 128, 255),
    nozzle=(240, 244, 246, 255),
    spaghetti=(255, 170, 40, 255),
    check=(120, 220, 140, 255),
    text=(18, 104, 128, 255),
)
DARK = Palette(
    tile=(38, 150, 178, 255),
    nozzle=(250, 250, 250, 255),
    spaghetti=(255, 186, 70, 255),
    check=(140, 235, 160, 255),
    text=(220, 236, 240, 255),
)


def icon(size: int, palette: Palette) -> Image.Image:
    """A rounded tile with the nozzle, the tangle and the check mark."""
    scale = size / ICON_SIZE
    picture = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle(
        (0, 0, size - 1, size - 1), radius=int(48 * scale), fill=palette.tile
    )
    # The nozzle: a block with a cone under it.
    draw.rectangle(
        (96 * scale, 30 * scale, 160 * scale, 78 * scale), fill=palette.nozzle
    )
    draw.polygon(
        [
            (104 * scale, 78 * scale),
            (152 * scale, 78 * scale),
            (128 * scale, 108 * scale),
        ],
        fill=palette.nozzle,
    )
    # The spaghetti: one looping strand under the nozzle.
    strand = [
        (
            (128 + 70 * math.sin(t / 9) * math.cos(t / 23)) * scale,
            (170 + 42 * math.sin(t / 5.5)) * scale,
        )
        for t in range(140)
    ]
    draw.line(
        strand, fill=palette.spaghetti, width=max(2, int(9 * scale)), joint="curve"
    )
    # Caught: a check mark in the corner.
    draw.line(
        [
            (176 * scale, 212 * scale),
            (196 * scale, 232 * scale),
            (232 * scale, 188 * scale),
        ],
        fill=palette.check,
        width=max(2, int(14 * scale)),
        joint="curve",
    )
    return picture


def logo(size: tuple[int, int], palette: Palette) -> Image.Image:
    """The icon with the integration's name beside it."""
    height = size[1]
    picture = Image.new("RGBA", size, (0, 0, 0, 0))
    picture.alpha_composite(icon(height, palette))
    draw = ImageDraw.Draw(picture)
    draw.text(
        (height + height * 0.12, height * 0.18),
        "Obico",
        font=ImageFont.load_default(size=int(height * 0.36)),
        fill=palette.text,
    )
    draw.text(
        (height + height * 0.12, height * 0.6),
        "Failure Detection",
        font=ImageFont.load_default(size=int(height * 0.16)),
        fill=palette.text,
    )
    # Trimmed to what is drawn, as Home Assistant's brand images are.
    return picture.crop(picture.getbbox())


def main() -> None:
    """Write every image Home Assistant looks for."""
    BRAND.mkdir(exist_ok=True)
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        icon(ICON_SIZE, palette).save(BRAND / f"{prefix}icon.png", optimize=True)
        icon(ICON_SIZE * 2, palette).save(BRAND / f"{prefix}icon@2x.png", optimize=True)
        logo(LOGO_SIZE, palette).save(BRAND / f"{prefix}logo.png", optimize=True)
        double = (LOGO_SIZE[0] * 2, LOGO_SIZE[1] * 2)
        logo(double, palette).save(BRAND / f"{prefix}logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
