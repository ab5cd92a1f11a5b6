"""The brand images Home Assistant shows for the integration, offline."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops
import pytest

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "obico" / "brand"


def image(name: str) -> Image.Image:
    """One of the brand images, loaded."""
    with Image.open(BRAND / name) as picture:
        picture.load()
        return picture


@pytest.mark.parametrize("theme", ["", "dark_"])
@pytest.mark.parametrize(("resolution", "factor"), [("", 1), ("@2x", 2)])
def test_icons_are_square_transparent_pngs(
    theme: str, resolution: str, factor: int
) -> None:
    """256 px (512 px at @2x), with transparent corners around the tile."""
    icon = image(f"{theme}icon{resolution}.png")
    assert icon.format == "PNG"
    assert icon.mode == "RGBA"
    assert icon.size == (256 * factor, 256 * factor)
    assert icon.getpixel((0, 0))[3] == 0
    assert icon.getpixel((icon.width // 2, icon.height // 2))[3] == 255


@pytest.mark.parametrize("theme", ["", "dark_"])
@pytest.mark.parametrize(("resolution", "factor"), [("", 1), ("@2x", 2)])
def test_logos_are_trimmed_and_at_most_256_px_high(
    theme: str, resolution: str, factor: int
) -> None:
    """Wider than high, no empty margin, at most 256 px high (512 at @2x)."""
    logo = image(f"{theme}logo{resolution}.png")
    assert logo.format == "PNG"
    assert logo.mode == "RGBA"
    assert logo.height <= 256 * factor
    assert logo.width > 2 * logo.height
    assert logo.getbbox() == (0, 0, logo.width, logo.height)


@pytest.mark.parametrize("name", ["icon.png", "icon@2x.png", "logo.png", "logo@2x.png"])
def test_the_dark_theme_has_its_own_images(name: str) -> None:
    """A dark variant that differs, so it reads on a dark background."""
    light, dark = image(name), image(f"dark_{name}")
    assert light.size == dark.size
    difference = ImageChops.difference(light.convert("RGB"), dark.convert("RGB"))
    assert difference.getbbox() is not None
