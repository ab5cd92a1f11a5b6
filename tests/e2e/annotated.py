"""Reading an annotated frame as a person looks at it: where its coloured boxes are.

The boxes are drawn in the zone colours of custom_components/obico/annotate.py;
the demo printer never paints those colours (its spaghetti is the simulator's
magenta, its print orange), so pixels near them are the boxes and labels.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops

from custom_components.obico.annotate import Color

# JPEG's artefacts move a box's colour a little; the demo's own colours lie
# farther off (its orange print is 36 off the amber at most).
TOLERANCE = 24


def decode_jpeg(content: bytes) -> Image.Image:
    """The picture, which must be a JPEG."""
    picture = Image.open(io.BytesIO(content))
    assert picture.format == "JPEG", picture.format
    return picture.convert("RGB")


def colour_mask(picture: Image.Image, colour: Color) -> Image.Image:
    """An "L" image: 255 where the picture is within TOLERANCE of ``colour``."""
    channels = [
        channel.point(
            [255 if abs(value - target) <= TOLERANCE else 0 for value in range(256)]
        )
        for channel, target in zip(picture.split(), colour, strict=True)
    ]
    return ImageChops.darker(ImageChops.darker(channels[0], channels[1]), channels[2])


def count_in(mask: Image.Image, box: tuple[int, int, int, int] | None = None) -> int:
    """The pixels of ``mask`` set, in ``box`` (left, top, right, bottom) or all."""
    region = mask if box is None else mask.crop(box)
    return region.histogram()[255]


def around(
    box: list[float], size: tuple[int, int], margin: int, label: int
) -> tuple[int, int, int, int]:
    """A centre-format detection box, widened by ``margin``, ``label`` more on top."""
    xc, yc, width, height = box
    return (
        max(0, round(xc - width / 2 - margin)),
        max(0, round(yc - height / 2 - margin - label)),
        min(size[0], round(xc + width / 2 + margin)),
        min(size[1], round(yc + height / 2 + margin)),
    )
