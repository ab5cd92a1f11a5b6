"""A frame's size on its way to the ML server, and what its bytes say it is.

``shrink`` does what Obico's server does to every uploaded frame
(``cap_image_size``): a long side up to 1296 px passes untouched, byte for byte;
anything larger becomes a JPEG that fits 1280x960, aspect kept. On top of that
it applies the EXIF orientation first, as the ML server's OpenCV would have on
the original, and makes any PNG mode an RGB JPEG. The last tests follow real
frames from a camera and an image entity to the loopback ML server.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

from homeassistant.core import HomeAssistant
from PIL import ExifTags, Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.obico import round_trip
from custom_components.obico.frames import Frame, FrameStore
from custom_components.obico.round_trip import CaptureError, async_capture, shrink
from tests.conftest import add_image_entity, start_print, state_of, watch_image_entity
from tests.fakes import CAMERA, IMAGE, FakePrinter
from tests.obico_ml_server import FakeObicoMlServer, make_jpeg, make_png

DETECTION_STATE = "sensor.x1c_detection_state"
RED = (220, 20, 20)
BLUE = (20, 20, 220)
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def encode(picture: Image.Image, image_format: str, **params: object) -> bytes:
    """The picture as a file of ``image_format``."""
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format, **params)
    return buffer.getvalue()


def frame_of(picture: Image.Image, image_format: str, **params: object) -> Frame:
    """The picture as a captured frame, with the content type of its format."""
    return Frame(encode(picture, image_format, **params), CONTENT_TYPES[image_format])


def decode(content: bytes) -> Image.Image:
    """Decode the bytes fully, as the ML server does."""
    picture = Image.open(io.BytesIO(content))
    picture.load()
    return picture


def obico_cap_image_size(content: bytes) -> bytes:
    """Obico's server's ``cap_image_size``, line for line (ANTIALIAS is LANCZOS).

    Its ``thumbnail`` works on a JPEG not yet loaded, so from 5120x3840 up
    Pillow decodes it at half size first; ours is loaded (for the EXIF) and is
    not, which is why the comparison below stops short of that.
    """
    picture = Image.open(io.BytesIO(content))
    if max(picture.size) <= 1296:
        return content
    picture.thumbnail((1280, 960), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    picture.save(output, format="JPEG")
    return output.getvalue()


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    """A reproducible picture with detail at every scale, unlike a solid colour."""
    pixels = random.Random(seed).randbytes(width * height * 3)  # noqa: S311
    return Image.frombytes("RGB", (width, height), pixels)


def red_corner(width: int, height: int) -> Image.Image:
    """A blue picture whose stored top-left quadrant is red."""
    picture = Image.new("RGB", (width, height), BLUE)
    picture.paste(RED, (0, 0, width // 2, height // 2))
    return picture


def with_orientation(picture: Image.Image, orientation: int) -> bytes:
    """The picture as a JPEG whose EXIF says how to turn it for display."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return encode(picture, "JPEG", exif=exif)


def red_quadrants(picture: Image.Image) -> set[str]:
    """Which quadrants of the picture are red, looking at the middle of each."""
    width, height = picture.size
    centres = {
        "top_left": (width // 4, height // 4),
        "top_right": (3 * width // 4, height // 4),
        "bottom_left": (width // 4, 3 * height // 4),
        "bottom_right": (3 * width // 4, 3 * height // 4),
    }
    red = set()
    for quadrant, centre in centres.items():
        r, _, b = picture.convert("RGB").getpixel(centre)  # type: ignore[misc]
        if r > 180 and b < 80:
            red.add(quadrant)
        else:
            assert b > 180, f"{quadrant} is neither red nor blue"
            assert r < 80, f"{quadrant} is neither red nor blue"
    return red


def assert_close(pixel: object, expected: tuple[int, ...], tolerance: int = 6) -> None:
    """A JPEG's pixel is the expected colour, give or take the compression."""
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True)), (
        pixel,
        expected,
    )


# Boundaries


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
@pytest.mark.parametrize(
    "size",
    [
        (1296, 1296),
        (1296, 972),
        (972, 1296),
        (1296, 1),
        (1, 1296),
        (1280, 960),
        (640, 480),
        (1, 1),
    ],
    ids=lambda size: "x".join(map(str, size)),
)
def test_frames_up_to_1296_px_pass_byte_for_byte(
    size: tuple[int, int], image_format: str
) -> None:
    """A long side of 1296 px or less is Obico's limit: the frame is not touched."""
    frame = frame_of(noise(*size), image_format)
    shrunk = shrink(frame)
    assert shrunk.content == frame.content
    assert shrunk.content_type == frame.content_type == CONTENT_TYPES[image_format]


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1297, 1297), (960, 960)),
        ((1297, 730), (1280, 720)),
        ((730, 1297), (540, 960)),
        ((3840, 2160), (1280, 720)),
        ((2160, 3840), (540, 960)),
        ((2000, 2000), (960, 960)),
        ((4000, 3000), (1280, 960)),
        ((2592, 1944), (1280, 960)),
        ((1728, 1296), (1280, 960)),
        ((1920, 1080), (1280, 720)),
        ((5000, 500), (1280, 128)),
        ((1300, 100), (1280, 98)),
        ((100, 1300), (74, 960)),
        ((20000, 10), (1280, 1)),
    ],
    ids=lambda size: "x".join(map(str, size)),
)
def test_larger_frames_become_a_jpeg_within_1280x960(
    size: tuple[int, int], expected: tuple[int, int], image_format: str
) -> None:
    """Anything larger fits 1280x960 with its aspect kept, and is a JPEG."""
    frame = frame_of(Image.new("RGB", size, RED), image_format)
    shrunk = shrink(frame)
    assert shrunk.content_type == "image/jpeg"
    picture = decode(shrunk.content)
    assert picture.format == "JPEG"
    assert picture.mode == "RGB"
    assert picture.size == expected
    assert_close(picture.getpixel((expected[0] // 2, expected[1] // 2)), RED)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
@pytest.mark.parametrize(
    "size", [(3840, 2160), (2160, 3840), (1297, 973), (4000, 3000)], ids=str
)
def test_the_shrunk_frame_is_the_one_obico_would_pass_on(
    size: tuple[int, int], image_format: str
) -> None:
    """Same filter, same encoder: byte for byte what cap_image_size makes of it."""
    frame = frame_of(noise(*size), image_format)
    assert shrink(frame).content == obico_cap_image_size(frame.content)


# Every kind of picture becomes an RGB JPEG


@pytest.mark.parametrize(
    ("picture", "colour"),
    [
        pytest.param(
            Image.new("RGBA", (2600, 1950), (*RED, 255)), RED, id="rgba_opaque"
        ),
        pytest.param(
            Image.new("RGB", (2600, 1950), RED).quantize(colors=4), RED, id="palette"
        ),
        pytest.param(Image.new("L", (2600, 1950), 100), (100, 100, 100), id="grey"),
        pytest.param(
            Image.new("LA", (2600, 1950), (100, 255)), (100, 100, 100), id="grey_alpha"
        ),
        pytest.param(Image.new("1", (2600, 1950), 1), (255, 255, 255), id="bilevel"),
    ],
)
def test_png_of_any_mode_above_the_limit_becomes_an_rgb_jpeg(
    picture: Image.Image, colour: tuple[int, int, int]
) -> None:
    """A JPEG cannot hold alpha or a palette: the colours survive, the mode does not."""
    shrunk = shrink(frame_of(picture, "PNG"))
    assert shrunk.content_type == "image/jpeg"
    output = decode(shrunk.content)
    assert (output.format, output.mode, output.size) == ("JPEG", "RGB", (1280, 960))
    assert_close(output.getpixel((640, 480)), colour)


def test_a_transparent_png_above_the_limit_becomes_a_jpeg() -> None:
    """Transparency cannot make the JPEG fail; what is opaque keeps its colour."""
    picture = Image.new("RGBA", (2600, 1950), (*BLUE, 255))
    picture.paste((255, 255, 255, 0), (0, 0, 1300, 1950))
    palette = picture.convert("RGB").quantize(colors=4)
    palette.info["transparency"] = palette.getpixel((0, 0))
    for source in (picture, palette):
        shrunk = shrink(frame_of(source, "PNG"))
        output = decode(shrunk.content)
        assert shrunk.content_type == "image/jpeg"
        assert (output.format, output.mode, output.size) == ("JPEG", "RGB", (1280, 960))
        assert_close(output.getpixel((1000, 480)), BLUE)


def test_transparent_pixels_keep_the_colour_opencv_sees() -> None:
    """Large or small, the ML server sees the colour stored under the transparency.

    A small PNG is passed on untouched and OpenCV's IMREAD_COLOR drops its alpha
    channel, so a large one should be shrunk with its alpha dropped too.
    """
    picture = Image.new("RGBA", (2600, 1950), (*BLUE, 255))
    picture.paste((255, 255, 255, 0), (0, 0, 1300, 1950))
    output = decode(shrink(frame_of(picture, "PNG")).content)
    assert_close(output.getpixel((200, 480)), (255, 255, 255))


def test_a_palette_png_is_shrunk_with_the_same_filter_as_rgb() -> None:
    """A fine pattern averages out the same whether its PNG has a palette or not."""
    stripes = Image.new("RGB", (2560, 1920), (0, 0, 0))
    for x in range(0, 2560, 2):
        stripes.paste((255, 255, 255), (x, 0, x + 1, 1920))
    as_rgb = decode(shrink(frame_of(stripes, "PNG")).content)
    as_palette = decode(shrink(frame_of(stripes.quantize(colors=2), "PNG")).content)
    assert_close(as_rgb.getpixel((640, 480)), (128, 128, 128), tolerance=20)
    assert_close(as_palette.getpixel((640, 480)), (128, 128, 128), tolerance=20)


def test_a_16_bit_png_keeps_its_brightness() -> None:
    """A 16-bit grey of 40000 is 156 to OpenCV (40000 >> 8), not white."""
    picture = Image.new("I;16", (2600, 1950), 40000)
    output = decode(shrink(frame_of(picture, "PNG")).content)
    assert_close(output.getpixel((640, 480)), (156, 156, 156))


# EXIF orientation


@pytest.mark.parametrize(
    ("orientation", "size", "red_ends_up"),
    [
        (1, (1280, 960), "top_left"),
        (2, (1280, 960), "top_right"),  # mirrored left to right
        (3, (1280, 960), "bottom_right"),  # turned 180°
        (4, (1280, 960), "bottom_left"),  # mirrored top to bottom
        (5, (720, 960), "top_left"),  # transposed
        (6, (720, 960), "top_right"),  # turned 90° clockwise
        (7, (720, 960), "bottom_right"),  # transversed
        (8, (720, 960), "bottom_left"),  # turned 90° anticlockwise
    ],
)
def test_exif_orientation_is_applied_before_shrinking(
    orientation: int, size: tuple[int, int], red_ends_up: str
) -> None:
    """The ML server gets the picture as it is displayed, and no tag to turn it again.

    The stored 4000x3000 picture has a red top-left quadrant; where the red
    ends up proves which way it was turned.
    """
    content = with_orientation(red_corner(4000, 3000), orientation)
    shrunk = shrink(Frame(content, "image/jpeg"))
    output = decode(shrunk.content)
    assert output.size == size
    assert red_quadrants(output) == {red_ends_up}
    assert ExifTags.Base.Orientation not in output.getexif()


def test_a_small_frame_keeps_its_orientation_tag_for_the_ml_server() -> None:
    """Below the limit the frame is not touched: OpenCV turns it itself."""
    content = with_orientation(red_corner(1280, 960), 6)
    frame = Frame(content, "image/jpeg")
    assert shrink(frame) == frame
    assert decode(content).getexif()[ExifTags.Base.Orientation] == 6


# Bytes that are no picture


def png_chunks(content: bytes) -> list[tuple[bytes, int]]:
    """Each chunk's type and where it starts."""
    chunks, position = [], 8
    while position < len(content):
        (length,) = struct.unpack(">I", content[position : position + 4])
        chunks.append((content[position + 4 : position + 8], position))
        position += 12 + length
    return chunks


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG of that size whose data stops after the first row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(1 + 3 * width)))
        + chunk(b"IEND", b"")
    )


def first_half(content: bytes) -> bytes:
    """The first half of a file, as a download cut off halfway leaves it."""
    return content[: len(content) // 2]


def random_bytes(seed: int, count: int = 5000) -> bytes:
    """Bytes that mean nothing, the same on every run."""
    return random.Random(seed).randbytes(count)  # noqa: S311


UNDECODABLE = {
    "jpeg_header_of_a_4k_frame": make_jpeg(3840, 2160)[:600],
    "half_a_large_jpeg": first_half(encode(noise(2000, 1500), "JPEG")),
    "half_a_large_png": first_half(encode(noise(2000, 1500), "PNG")),
    "jpeg_signature_then_noise": b"\xff\xd8\xff" + random_bytes(1),
    "png_signature_then_noise": b"\x89PNG\r\n\x1a\n" + random_bytes(2),
    "noise": random_bytes(3),
    "empty": b"",
    "decompression_bomb": png_claiming(50_000, 50_000),
}


@pytest.mark.parametrize("content", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_undecodable_frames_are_a_capture_error(content: bytes) -> None:
    """The camera's fault, said as such; nothing else escapes."""
    with pytest.raises(CaptureError, match="the frame could not be decoded"):
        shrink(Frame(content, "image/jpeg"))


def broken_png(cut: str) -> bytes:
    """A large PNG that breaks where its second data chunk begins."""
    content = encode(noise(1400, 200), "PNG")
    second_data_chunk = [
        start for kind, start in png_chunks(content) if kind == b"IDAT"
    ][1]
    if cut == "in_a_chunk_header":
        return content[: second_data_chunk + 6]
    return content[: second_data_chunk + 4] + b"ID@T" + content[second_data_chunk + 8 :]


@pytest.mark.parametrize("cut", ["in_a_chunk_header", "in_a_chunk_type"])
def test_a_png_broken_between_its_data_chunks_is_a_capture_error(cut: str) -> None:
    """A PNG that breaks after its first data chunk is the camera's fault too."""
    with pytest.raises(CaptureError, match="the frame could not be decoded"):
        shrink(Frame(broken_png(cut), "image/png"))


def test_a_frame_with_exif_pillow_cannot_rewrite_is_still_shrunk() -> None:
    """Broken EXIF beside the orientation is no reason to lose the frame.

    The camera wrote T4Options (0x0124, a number) as the text "Cam".
    """
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Cam"
    raw = bytearray(exif.tobytes())
    tag = raw.index(struct.pack(">H", ExifTags.Base.Make))
    raw[tag : tag + 2] = struct.pack(">H", ExifTags.Base.T4Options)
    content = encode(red_corner(4000, 3000), "JPEG", exif=bytes(raw))
    output = decode(shrink(Frame(content, "image/jpeg")).content)
    assert output.size == (720, 960)


# Through Home Assistant, to the ML server


@pytest.mark.parametrize(
    ("content", "size_seen"),
    [
        pytest.param(make_jpeg(3840, 2160), (1280, 720), id="4k_jpeg"),
        pytest.param(make_png(3840, 2160), (1280, 720), id="4k_png"),
        pytest.param(
            with_orientation(red_corner(4000, 3000), 6), (720, 960), id="turned_12mp"
        ),
    ],
)
async def test_a_large_camera_frame_reaches_the_ml_server_shrunk(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    content: bytes,
    size_seen: tuple[int, int],
) -> None:
    """The ML server fetches a JPEG of the size Obico's server would have sent it."""
    printer.camera.frame = content
    await start_print(hass, printer)
    assert len(ml_server.fetched) == 1
    fetched = decode(ml_server.fetched[0])
    assert (fetched.format, fetched.size) == ("JPEG", size_seen)
    assert state_of(hass, DETECTION_STATE) == "warming_up"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(make_jpeg(640, 480), id="vga_jpeg"),
        pytest.param(make_png(640, 480), id="vga_png"),
        pytest.param(make_jpeg(1296, 972), id="at_the_limit"),
        pytest.param(with_orientation(red_corner(1280, 960), 6), id="turned_small"),
    ],
)
async def test_a_small_camera_frame_reaches_the_ml_server_byte_for_byte(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    content: bytes,
) -> None:
    """Obico's server would not have touched it, so neither do we."""
    printer.camera.frame = content
    await start_print(hass, printer)
    assert ml_server.fetched == [content]
    assert state_of(hass, DETECTION_STATE) == "warming_up"


async def test_a_broken_png_from_the_camera_is_the_cameras_fault(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    loaded_entry: MockConfigEntry,
    printer: FakePrinter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """camera_unavailable, as for any other frame that cannot be decoded."""
    printer.camera.frame = broken_png("in_a_chunk_header")
    await start_print(hass, printer)
    assert ml_server.requests == []
    assert state_of(hass, DETECTION_STATE) == "camera_unavailable"
    assert "unexpected error" not in caplog.text


async def test_a_4k_png_of_an_image_entity_reaches_the_ml_server_as_a_jpeg(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """An image entity's frame is shrunk like a camera's."""
    await watch_image_entity(hass, server_entry, make_png(3840, 2160))
    await start_print(hass, printer)
    assert len(ml_server.fetched) == 1
    fetched = decode(ml_server.fetched[0])
    assert (fetched.format, fetched.size) == ("JPEG", (1280, 720))
    assert state_of(hass, DETECTION_STATE) == "warming_up"


async def test_a_frame_is_served_as_what_its_bytes_are(
    hass: HomeAssistant,
    ml_server: FakeObicoMlServer,
    server_entry: MockConfigEntry,
    printer: FakePrinter,
) -> None:
    """An image entity that says PNG but holds a JPEG: the JPEG is stashed as one."""
    jpeg = make_jpeg(640, 480)
    image = await watch_image_entity(hass, server_entry, jpeg)
    assert image.content_type == "image/png"
    real_stash = FrameStore.stash
    stashed: list[str] = []

    def stash(store: FrameStore, content: bytes, content_type: str) -> str:
        stashed.append(content_type)
        return real_stash(store, content, content_type)

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(FrameStore, "stash", stash)
        await start_print(hass, printer)
    assert stashed == ["image/jpeg"]
    assert ml_server.fetched == [jpeg]
    assert state_of(hass, DETECTION_STATE) == "warming_up"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(make_jpeg(), "image/jpeg", id="jpeg"),
        pytest.param(make_png(), "image/png", id="png"),
    ],
)
async def test_capture_takes_the_content_type_from_the_bytes(
    hass: HomeAssistant, printer: FakePrinter, content: bytes, content_type: str
) -> None:
    """Whatever the camera (image/jpeg) or image entity (image/png) claims."""
    await add_image_entity(hass, content)
    printer.camera.frame = content
    assert await async_capture(hass, CAMERA) == Frame(content, content_type)
    assert await async_capture(hass, IMAGE) == Frame(content, content_type)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(encode(Image.new("RGB", (64, 48)), "GIF"), id="gif"),
        pytest.param(encode(Image.new("RGB", (64, 48)), "BMP"), id="bmp"),
        pytest.param(b"<html><body>Please log in</body></html>", id="html"),
        pytest.param(b"\xff\xd8", id="half_a_jpeg_signature"),
    ],
)
async def test_capture_refuses_what_is_not_a_jpeg_or_png(
    hass: HomeAssistant, printer: FakePrinter, content: bytes
) -> None:
    """The ML server decodes JPEG and PNG only, so nothing else is sent to it."""
    printer.camera.frame = content
    with pytest.raises(CaptureError, match=f"{CAMERA} sent {len(content)} bytes"):
        await async_capture(hass, CAMERA)


def test_the_content_type_is_sniffed_from_the_signature() -> None:
    """Only the first bytes count; a signature alone is enough."""
    sniff = round_trip._content_type
    assert sniff(CAMERA, b"\xff\xd8\xff") == "image/jpeg"
    assert sniff(CAMERA, b"\x89PNG\r\n\x1a\nanything") == "image/png"
    with pytest.raises(CaptureError, match="not a JPEG or PNG image"):
        sniff(CAMERA, b"\x89PNG\r\n\x1a")
