"""What the browser tests need of a running print: its last analyzed frame, in the API."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from custom_components.obico.const import KEY_LAST_FRAME
from scripts.lib.demo_dashboard import printer_entity_ids
from scripts.lib.demo_stack import DemoStack
from tests.browser.frontend import STRINGS, expect_picture_loaded

if TYPE_CHECKING:
    from tests.browser.conftest import Frontend

# The first frame is asked for at the print's start, and takes a few seconds
# on two busy cores.
FIRST_FRAME_TIMEOUT = 120
NO_FRAME = ("unknown", "unavailable")


async def entity_ids(stack: DemoStack, entry_id: str) -> dict[str, str]:
    """The first demo printer's entity ids by key, from the entity registry."""
    async with stack.hass.websocket() as ws, asyncio.timeout(FIRST_FRAME_TIMEOUT):
        return (await printer_entity_ids(ws, entry_id))[stack.printers[0].name]


async def good_print_with_a_frame(stack: DemoStack, last_frame: str) -> None:
    """Start a good print and wait until its first frame is analyzed and shown."""
    await stack.run_script(stack.printers[0].script("start_a_good_print"))
    async with asyncio.timeout(FIRST_FRAME_TIMEOUT):
        await stack.hass.wait_for_state(
            last_frame,
            lambda state: state is not None and state["state"] not in NO_FRAME,
        )


async def device_id(stack: DemoStack, entity_id: str) -> str:
    """The device of an entity, from the entity registry."""
    async with stack.hass.websocket() as ws:
        entry = await ws.command("config/entity_registry/get", entity_id=entity_id)
    found: str = entry["device_id"]
    return found


async def open_last_frame_on_device_page(
    frontend: Frontend, stack: DemoStack, last_frame: str
) -> int:
    """The printer's device page, its last analyzed frame opened; the frame's width."""
    from playwright.async_api import expect

    page = frontend.page
    device = await device_id(stack, last_frame)
    await page.goto(f"{stack.hass.url}/config/devices/device/{device}")
    name = STRINGS["entity"]["image"][KEY_LAST_FRAME]["name"]
    row = page.get_by_text(name, exact=True)
    await expect(row).to_be_visible()
    await frontend.shots.take(page, "device-page")
    await row.click()
    picture = page.locator(
        f'ha-more-info-dialog img[src*="/api/image_proxy/{last_frame}"]'
    )
    width = await expect_picture_loaded(picture)
    await frontend.shots.take(page, "device-page-last-frame", settled=True)
    frontend.note(f"the device page's last analyzed frame: {width} px wide")
    await page.keyboard.press("Escape")
    await expect(picture).to_be_hidden()
    return width
