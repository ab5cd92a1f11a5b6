"""The annotated frame, drawn without Home Assistant.

Each test decodes what ``annotate`` made and looks at its pixels: the box
outlines in the zone's colour on the detection's edges, the frame untouched
inside and outside them, a label with the confidence, and the frame as the ML
server saw it (upright, whatever its format and mode).
"""

from __future__ import annotations

from collections.abc import Iterable
import io
from itertools import combinations

from PIL import ExifTags, Image
import pytest

from custom_components.obico.alerts import Level
from custom_components.obico.annotate import (
    FAILURE_COLOR,
    LABEL_TEXT_COLORS,
    SAFE_COLOR,
    VISUALIZATION_THRESH,
    WARNING_COLOR,
    ZONE_COLORS,
    UnreadableFrameError,
    annotate,
)
from custom_components.obico.api import Detection

GREY = (128, 128, 128)
SIZE = (640, 480)
# A box whose edges are at x 220 and 420, y 190 and 290.
BOX = (320.0, 240.0, 200.0, 100.0)
LEFT, RIGHT, TOP, BOTTOM = 220, 420, 190, 290

type Color = tuple[int, int, int]


def encode(
    picture: Image.Image, image_format: str = "JPEG", **options: object
) -> bytes:
    """The picture as a camera would send it."""
    output = io.BytesIO()
    picture.save(output, format=image_format, **options)
    return output.getvalue()


def grey_frame(
    size: tuple[int, int] = SIZE, image_format: str = "JPEG", **options: object
) -> bytes:
    """A plain grey frame: any mark on it is ours."""
    return encode(Image.new("RGB", size, GREY), image_format, **options)


def detection(confidence: float = 0.73, box: Iterable[float] = BOX) -> Detection:
    """A detection as the ML client parses it."""
    xc, yc, width, height = box
    return Detection("failure", confidence, (xc, yc, width, height))


def decode(content: bytes) -> Image.Image:
    """What a browser shows: a JPEG, in RGB."""
    picture = Image.open(io.BytesIO(content))
    assert picture.format == "JPEG"
    return picture.convert("RGB")


def pixel(picture: Image.Image, x: int, y: int) -> Color:
    """One pixel, typed."""
    value = picture.getpixel((x, y))
    assert isinstance(value, tuple)
    return (value[0], value[1], value[2])


def close(actual: Color, expected: Color, tolerance: int = 40) -> bool:
    """Within JPEG's error of the expected colour."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def changed(picture: Image.Image, x: int, y: int) -> bool:
    """Whether the pixel is no longer the frame's grey."""
    return not close(pixel(picture, x, y), GREY)


def edge_midpoints() -> list[tuple[int, int]]:
    """A point in the middle of each of the box's edges."""
    middle_x, middle_y = (LEFT + RIGHT) // 2, (TOP + BOTTOM) // 2
    return [(LEFT, middle_y), (RIGHT, middle_y), (middle_x, TOP), (middle_x, BOTTOM)]


# The outline


@pytest.mark.parametrize("zone", list(Level))
def test_each_box_is_outlined_in_its_zones_colour(zone: Level) -> None:
    """The outline lies on the detection's edges, in the colour of the zone."""
    picture = decode(annotate(grey_frame(), [detection()], zone))
    assert picture.size == SIZE
    for x, y in edge_midpoints():
        assert close(pixel(picture, x, y), ZONE_COLORS[zone]), (x, y)
    for corner in ((LEFT, TOP), (RIGHT, TOP), (LEFT, BOTTOM), (RIGHT, BOTTOM)):
        assert close(pixel(picture, *corner), ZONE_COLORS[zone]), corner


def test_the_inside_and_the_outside_of_a_box_are_untouched() -> None:
    """The lines are thin; the frame shows through inside and around the box."""
    picture = decode(annotate(grey_frame(), [detection()], Level.SAFE))
    for x, y in [(320, 240), (LEFT + 6, 240), (320, BOTTOM - 6), (RIGHT - 6, 200)]:
        assert not changed(picture, x, y), ("inside", x, y)
    for x, y in [(10, 10), (LEFT - 6, 240), (320, BOTTOM + 6), (RIGHT + 6, 240)]:
        assert not changed(picture, x, y), ("outside", x, y)


def test_only_the_outline_and_its_label_change() -> None:
    """Every changed pixel is on an edge, or in the label atop the box's corner."""
    picture = decode(annotate(grey_frame(), [detection()], Level.WARNING))
    width, height = SIZE
    strays = [
        (x, y)
        for y in range(0, height, 2)
        for x in range(0, width, 2)
        if changed(picture, x, y)
        and not _on_outline(x, y)
        and not (LEFT - 2 <= x <= LEFT + 80 and TOP - 30 <= y <= TOP)
    ]
    assert strays == []


def _on_outline(x: int, y: int, slack: int = 3) -> bool:
    within_x = LEFT - slack <= x <= RIGHT + slack
    within_y = TOP - slack <= y <= BOTTOM + slack
    on_side = abs(x - LEFT) <= slack or abs(x - RIGHT) <= slack
    on_end = abs(y - TOP) <= slack or abs(y - BOTTOM) <= slack
    return (within_y and on_side) or (within_x and on_end)


def test_the_outline_is_centred_on_the_edges() -> None:
    """A 3 px line covers the edge and one pixel either side of it."""
    picture = decode(annotate(grey_frame(), [detection()], Level.FAILURE))
    for edge in (LEFT, RIGHT):
        for x in (edge - 1, edge, edge + 1):
            assert close(pixel(picture, x, 240), FAILURE_COLOR), x
        assert not changed(picture, edge - 3, 240)
        assert not changed(picture, edge + 3, 240)
    for edge in (TOP, BOTTOM):
        for y in (edge - 1, edge, edge + 1):
            assert close(pixel(picture, 320, y), FAILURE_COLOR), y
        assert not changed(picture, 320, edge - 3)
        assert not changed(picture, 320, edge + 3)


def test_the_zone_colours_are_clearly_distinct() -> None:
    """Safe, warning and failure tell apart at a glance, and from each other."""
    assert set(ZONE_COLORS) == set(Level)
    assert ZONE_COLORS[Level.SAFE] == SAFE_COLOR
    assert ZONE_COLORS[Level.WARNING] == WARNING_COLOR
    assert ZONE_COLORS[Level.FAILURE] == FAILURE_COLOR
    for first, second in combinations(ZONE_COLORS.values(), 2):
        assert sum(abs(a - b) for a, b in zip(first, second, strict=True)) >= 150


def test_lines_grow_with_the_frame() -> None:
    """A 1280 px frame gets 4 px lines, where a 640 px one gets Obico's 3."""

    def thickness(size: tuple[int, int], box: tuple[float, ...]) -> int:
        picture = decode(annotate(grey_frame(size), [detection(box=box)], Level.SAFE))
        middle_y = round(box[1])
        return sum(changed(picture, x, middle_y) for x in range(size[0] // 4))

    assert thickness(SIZE, (160.0, 240.0, 200.0, 100.0)) == 3
    assert thickness((1280, 960), (320.0, 480.0, 400.0, 200.0)) == 4


# What is drawn


@pytest.mark.parametrize("confidence", [VISUALIZATION_THRESH, 0.1, 0.08])
def test_a_detection_at_or_below_the_threshold_is_not_drawn(confidence: float) -> None:
    """Obico draws only above 0.2: the JPEG comes back as it was."""
    frame = grey_frame()
    assert annotate(frame, [detection(confidence)], Level.FAILURE) == frame


def test_a_detection_just_above_the_threshold_is_drawn() -> None:
    """0.21 is above 0.2."""
    picture = decode(annotate(grey_frame(), [detection(0.21)], Level.SAFE))
    assert close(pixel(picture, LEFT, 240), SAFE_COLOR)


def test_faint_boxes_are_left_out_beside_drawn_ones() -> None:
    """Each detection is judged on its own confidence."""
    faint = detection(0.15, (100.0, 400.0, 60.0, 40.0))
    picture = decode(annotate(grey_frame(), [detection(0.9), faint], Level.SAFE))
    assert close(pixel(picture, LEFT, 240), SAFE_COLOR)
    assert not changed(picture, 70, 400)
    assert not changed(picture, 100, 380)


def test_without_detections_a_jpeg_comes_back_as_it_was() -> None:
    """Nothing to draw, nothing to re-encode: the very bytes the ML server saw."""
    frame = grey_frame()
    assert annotate(frame, [], Level.SAFE) == frame


def test_without_detections_a_png_comes_back_as_a_jpeg() -> None:
    """The image entity serves JPEG only; the picture is the same."""
    picture = decode(annotate(grey_frame(image_format="PNG"), [], Level.SAFE))
    assert picture.size == SIZE
    assert not changed(picture, 320, 240)


# Formats and modes


def test_a_png_frame_is_annotated_as_a_jpeg() -> None:
    """OpenCV reads PNG as well as JPEG; the boxes land in the same places."""
    picture = decode(
        annotate(grey_frame(image_format="PNG"), [detection()], Level.FAILURE)
    )
    assert picture.size == SIZE
    for x, y in edge_midpoints():
        assert close(pixel(picture, x, y), FAILURE_COLOR), (x, y)
    assert not changed(picture, 320, 240)


@pytest.mark.parametrize(
    ("picture", "background"),
    [
        pytest.param(Image.new("RGBA", SIZE, (*GREY, 255)), GREY, id="rgba"),
        # OpenCV drops alpha without blending: the hidden colour shows.
        pytest.param(Image.new("RGBA", SIZE, (*GREY, 0)), GREY, id="rgba_clear"),
        pytest.param(Image.new("LA", SIZE, (128, 255)), GREY, id="grey_alpha"),
        pytest.param(Image.new("L", SIZE, 128), GREY, id="grey"),
        pytest.param(Image.new("RGB", SIZE, GREY).quantize(4), GREY, id="palette"),
        # 16-bit: the high byte, as OpenCV reads it (40000 >> 8 = 156).
        pytest.param(Image.new("I;16", SIZE, 40000), (156, 156, 156), id="16_bit"),
        pytest.param(Image.new("1", SIZE, 1), (255, 255, 255), id="bilevel"),
    ],
)
def test_a_png_of_any_mode_is_annotated(
    picture: Image.Image, background: Color
) -> None:
    """Any PNG the ML server reads comes back as an RGB JPEG with its boxes."""
    output = decode(annotate(encode(picture, "PNG"), [detection()], Level.WARNING))
    assert output.size == SIZE
    assert close(pixel(output, 320, 240), background)
    for x, y in edge_midpoints():
        assert close(pixel(output, x, y), WARNING_COLOR), (x, y)


def test_a_grey_jpeg_is_annotated_in_colour() -> None:
    """A black-and-white camera's frame still shows the zone's colour."""
    frame = encode(Image.new("L", SIZE, 128))
    picture = decode(annotate(frame, [detection()], Level.FAILURE))
    assert picture.mode == "RGB"
    assert close(pixel(picture, LEFT, 240), FAILURE_COLOR)


def _turned(orientation: int) -> bytes:
    """A 640x480 JPEG whose EXIF says to show it turned."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return encode(Image.new("RGB", SIZE, GREY), exif=exif.tobytes())


def test_the_frame_is_turned_upright_as_the_ml_server_saw_it() -> None:
    """OpenCV turns a frame by its EXIF orientation: the boxes are upright too."""
    # Upright, the 640x480 frame is 480 wide and 640 high.
    upright_box = (240.0, 320.0, 100.0, 200.0)
    picture = decode(annotate(_turned(6), [detection(box=upright_box)], Level.FAILURE))
    assert picture.size == (480, 640)
    assert close(pixel(picture, 190, 320), FAILURE_COLOR)
    assert close(pixel(picture, 240, 420), FAILURE_COLOR)


def test_a_turned_frame_without_detections_comes_back_upright() -> None:
    """Upright for every viewer, whether it honours EXIF or not."""
    picture = decode(annotate(_turned(8), [], Level.SAFE))
    assert picture.size == (480, 640)


def test_an_orientation_that_means_nothing_leaves_the_frame_as_it_was() -> None:
    """A camera that writes 0 or 9 there means upright."""
    frame = _turned(9)
    assert annotate(frame, [], Level.SAFE) == frame


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"not a picture", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(grey_frame()[:600], id="truncated_jpeg"),
    ],
)
def test_a_frame_pillow_cannot_read_raises(content: bytes) -> None:
    """One error the image entity can handle, whatever Pillow raised."""
    with pytest.raises(UnreadableFrameError, match="could not be decoded"):
        annotate(content, [detection()], Level.SAFE)


# Boxes at and beyond the frame's edges


@pytest.mark.parametrize(
    ("box", "inside_edges"),
    [
        # Top-left corner: only the right and bottom edges are in the frame.
        pytest.param((0.0, 0.0, 100.0, 100.0), [(50, 25), (25, 50)], id="top_left"),
        pytest.param(
            (640.0, 480.0, 100.0, 100.0), [(590, 455), (615, 430)], id="bottom_right"
        ),
        pytest.param((-10.0, 240.0, 100.0, 50.0), [(40, 240)], id="left"),
        pytest.param((320.0, 500.0, 100.0, 60.0), [(320, 470)], id="below"),
    ],
)
def test_a_box_crossing_the_edge_is_clipped(
    box: tuple[float, float, float, float], inside_edges: list[tuple[int, int]]
) -> None:
    """What lies in the frame is drawn; what lies beyond is cut off."""
    picture = decode(annotate(grey_frame(), [detection(box=box)], Level.FAILURE))
    assert picture.size == SIZE
    for x, y in inside_edges:
        assert close(pixel(picture, x, y), FAILURE_COLOR), (x, y)


@pytest.mark.parametrize(
    "box",
    [
        pytest.param((2000.0, 2000.0, 10.0, 10.0), id="beyond"),
        pytest.param((-100.0, 240.0, 100.0, 100.0), id="left_of_it"),
        pytest.param((320.0, -60.0, 100.0, 100.0), id="above_it"),
        pytest.param((1e300, -1e300, 1e10, 1e10), id="far_away"),
    ],
)
def test_a_box_outside_the_frame_draws_nothing(
    box: tuple[float, float, float, float],
) -> None:
    """Neither its outline nor its label."""
    picture = decode(annotate(grey_frame(), [detection(box=box)], Level.FAILURE))
    assert not any(
        changed(picture, x, y) for y in range(0, 480, 4) for x in range(0, 640, 4)
    )


def test_a_box_larger_than_any_frame_still_draws() -> None:
    """Absurd numbers from the ML server never break the picture."""
    picture = decode(
        annotate(grey_frame(), [detection(box=(320, 240, 1e308, 1e308))], Level.SAFE)
    )
    assert not changed(picture, 320, 240)


def test_a_box_of_negative_size_is_drawn_as_its_size() -> None:
    """A width of -200 spans the same 200 px."""
    negative = (320.0, 240.0, -200.0, -100.0)
    picture = decode(annotate(grey_frame(), [detection(box=negative)], Level.SAFE))
    for x, y in edge_midpoints():
        assert close(pixel(picture, x, y), SAFE_COLOR), (x, y)


def test_a_box_of_no_size_is_a_dot() -> None:
    """A point is drawn as a small square, without error."""
    dot = (320.0, 240.0, 0.0, 0.0)
    picture = decode(annotate(grey_frame(), [detection(box=dot)], Level.FAILURE))
    assert close(pixel(picture, 320, 240), FAILURE_COLOR)


def test_a_frame_smaller_than_the_label_is_annotated() -> None:
    """A thumbnail of 16x12 still gets its box, with the label cut off."""
    frame = grey_frame((16, 12))
    picture = decode(annotate(frame, [detection(box=(8, 6, 10, 6))], Level.SAFE))
    assert picture.size == (16, 12)


# The label


def _label_area(picture: Image.Image, left: int, top: int) -> list[Color]:
    """The pixels of the label's usual place: atop the box's top-left corner."""
    return [
        pixel(picture, x, y)
        for y in range(top - 16, top - 1)
        for x in range(left, left + 30)
    ]


@pytest.mark.parametrize("zone", list(Level))
def test_the_label_sits_on_the_box_in_the_zones_colour(zone: Level) -> None:
    """A patch of the zone's colour atop the box, with text readable on it."""
    picture = decode(annotate(grey_frame(), [detection()], zone))
    area = _label_area(picture, LEFT, TOP)
    patch = sum(close(color, ZONE_COLORS[zone]) for color in area)
    text = sum(close(color, LABEL_TEXT_COLORS[zone], 60) for color in area)
    assert patch > len(area) // 3
    assert text > 10


def test_the_label_is_the_confidence_in_percent() -> None:
    """0.731 and 0.73 both read 73 %; 0.74 reads differently."""

    def label(confidence: float) -> list[Color]:
        picture = decode(annotate(grey_frame(), [detection(confidence)], Level.SAFE))
        return _label_area(picture, LEFT, TOP)

    assert label(0.731) == label(0.73)
    assert label(0.74) != label(0.73)


def test_a_box_at_the_top_carries_its_label_inside() -> None:
    """No room above: the label hangs inside the box, from its top edge down."""
    # The top edge is at y 10: too close to the top for a label above it.
    box = (320.0, 60.0, 200.0, 100.0)
    picture = decode(annotate(grey_frame(), [detection(box=box)], Level.SAFE))
    assert not any(
        changed(picture, x, y) for x in range(LEFT + 4, LEFT + 30) for y in range(7)
    )
    area = [pixel(picture, x, y) for y in range(12, 24) for x in range(LEFT, LEFT + 30)]
    assert sum(close(color, SAFE_COLOR) for color in area) > len(area) // 3
    assert sum(close(color, LABEL_TEXT_COLORS[Level.SAFE], 60) for color in area) > 10


def test_the_label_of_a_box_at_the_right_edge_stays_in_the_frame() -> None:
    """It moves left until it fits: its text is in the frame, left of the box."""
    box = (636.0, 240.0, 8.0, 100.0)
    picture = decode(annotate(grey_frame(), [detection(box=box)], Level.FAILURE))
    area = [
        pixel(picture, x, y) for y in range(TOP - 16, TOP - 1) for x in range(590, 630)
    ]
    assert sum(close(color, FAILURE_COLOR) for color in area) > len(area) // 3
    assert (
        sum(close(color, LABEL_TEXT_COLORS[Level.FAILURE], 60) for color in area) > 10
    )


def test_the_surest_detection_is_drawn_last() -> None:
    """Where labels overlap, the highest confidence is the one that reads."""
    surest, faintest = detection(0.9), detection(0.3)
    frame = grey_frame()
    both = annotate(frame, [surest, faintest], Level.FAILURE)
    assert annotate(frame, [faintest, surest], Level.FAILURE) == both
    alone = decode(annotate(frame, [surest], Level.FAILURE))
    assert _label_area(decode(both), LEFT, TOP) == _label_area(alone, LEFT, TOP)
