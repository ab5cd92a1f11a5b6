"""Pictures as the ML server's OpenCV decodes them: upright, in 8-bit RGB.

Pure: Pillow only. The size cap (round_trip.py) must hand the ML server what it
would have decoded from the original, and the annotated frame (annotate.py)
must show what it saw; both turn and convert a picture the same way, here.
"""

from __future__ import annotations

from PIL import ExifTags, Image

# EXIF orientation 2-8, as the turn that shows the picture upright.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
QUARTER_TURNS = frozenset({5, 6, 7, 8})
"""The orientations whose upright picture has width and height swapped."""


def orientation_of(picture: Image.Image) -> int:
    """The picture's EXIF orientation, 1-8; 1 (upright) when it has none.

    A camera may write anything there; what is not 2-8 means upright.
    """
    orientation = picture.getexif().get(ExifTags.Base.Orientation, 1)
    return int(orientation) if orientation in _TRANSPOSE else 1


def turn_upright(picture: Image.Image, orientation: int) -> Image.Image:
    """The picture turned as its EXIF orientation says, as OpenCV shows it."""
    transpose = _TRANSPOSE.get(orientation)
    return picture if transpose is None else picture.transpose(transpose)


def as_rgb(picture: Image.Image) -> Image.Image:
    """The picture in 8-bit RGB, with the pixel values OpenCV would decode.

    Alpha is dropped, not blended; a 16-bit picture keeps its high byte,
    where Pillow's own conversion would clip it to white.
    """
    if picture.mode.startswith("I"):
        picture = picture.convert("I").point(lambda value: value * (1 / 256))
        picture = picture.convert("L")
    return picture.convert("RGB")
