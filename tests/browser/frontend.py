"""Using Home Assistant's frontend as a person does: Debian's Chromium, driven by Playwright.

The frontend is made of web components; Playwright's role and text locators
reach into their open shadow roots, so the tests find what a person reads:
labels, buttons and headings, not the frontend's internals.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import re
import shutil
from typing import TYPE_CHECKING, Any

from scripts.lib.hass_api import Owner
from tests.real_hass import REPO

if TYPE_CHECKING:
    from playwright.async_api import (
        BrowserContext,
        Locator,
        Page,
        Playwright,
        Route,
        ViewportSize,
    )

# Debian's package, not a browser build of Playwright's own (`playwright install`
# is never needed); scripts/lib/leg.sh installs it for the newest leg.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# A laptop's screen.
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
# Generous: two cores load the frontend while Home Assistant works.
TIMEOUT_MS = 60_000
CHOICE_ATTEMPTS = 3
CHOICE_TIMEOUT_MS = 10_000
"""How often, and how long each time, a choice in a picker is waited for."""
ARTIFACTS = Path(os.environ.get("OBICO_ARTIFACTS") or REPO / ".artifacts") / "browser"
# Nothing but this machine: whatever else the frontend asks for (map tiles,
# documentation) is refused in the browser, never sent.
NOT_LOOPBACK = re.compile(r"^(https?|wss?)://(?!127\.0\.0\.1[:/])")
# What the integration says, as the frontend shows it.
STRINGS: dict[str, Any] = json.loads(
    (REPO / "custom_components" / "obico" / "translations" / "en.json").read_text()
)


class Screenshots:
    """Numbered screenshots of one test, kept as artifacts, never committed."""

    def __init__(self, folder: Path) -> None:
        """Start with an empty ``folder``: an old run's pictures would mislead."""
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.taken: list[Path] = []

    async def take(self, page: Page, step: str, *, settled: bool = False) -> Path:
        """Save what the page shows now as ``NN-step.png``.

        ``settled`` ends the animations under way first (a dialog fading in).
        """
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        await page.screenshot(path=path, animations="disabled" if settled else "allow")
        self.taken.append(path)
        return path


async def open_browser(
    playwright: Playwright, profile: Path, refused: list[str]
) -> BrowserContext:
    """Chromium with a fresh profile; requests off this machine go into ``refused``."""
    context = await playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=VIEWPORT,
        locale="en-US",
    )
    context.set_default_timeout(TIMEOUT_MS)

    async def refuse(route: Route) -> None:
        refused.append(route.request.url)
        await route.abort()

    await context.route(NOT_LOOPBACK, refuse)
    return context


async def log_in(page: Page, url: str, owner: Owner) -> None:
    """Open Home Assistant and log in on its login page; wait for the sidebar."""
    from playwright.async_api import expect

    await page.goto(url)
    await page.get_by_role("textbox", name="Username").fill(owner.username)
    await page.get_by_role("textbox", name="Password").fill(owner.password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("ha-sidebar")).to_be_visible()


async def centre(field: Locator) -> None:
    """Scroll a form field to the middle of the view.

    Its picker opens below it: at the bottom of the view, the options would
    lie partly off screen and a click on one could miss.
    """
    await field.evaluate("element => element.scrollIntoView({block: 'center'})")


async def pick_entity(scope: Locator, field: str, search: str, option: str) -> None:
    """Choose an entity with the entity picker of form field ``field``."""
    from playwright.async_api import expect

    button = scope.get_by_role("button", name=re.compile(f"^{re.escape(field)} "))
    await centre(button)
    await button.click()
    picker = scope.get_by_role("dialog", name=field)
    await picker.get_by_role("textbox").fill(search)
    await picker.get_by_role("option", name=option).click()
    await expect(picker).to_be_hidden()
    chosen = scope.get_by_role("button", name=f"{field} {option}", exact=True)
    await expect(chosen).to_be_visible()


async def add_states(scope: Locator, field: str, *states: str) -> None:
    """Type ``states`` into the multiple-choice field ``field``, as custom items."""
    from playwright.async_api import expect

    chips = scope.get_by_role("toolbar", name=field)
    picker = scope.get_by_role("dialog", name=field)
    for state in states:
        chip = chips.get_by_role("button", name=state, exact=True)
        for attempt in range(1, CHOICE_ATTEMPTS + 1):
            await centre(chips)
            await chips.get_by_role("button", name="Add").click()
            await picker.get_by_role("textbox").fill(state)
            custom = picker.get_by_role("option", name=f'Add custom item "{state}"')
            await custom.click()
            await expect(picker).to_be_hidden()
            # On a busy machine the frontend's list can re-render under the
            # click, which then only closes the picker: a person would try
            # again, and so does this.
            try:
                await expect(chip).to_be_visible(timeout=CHOICE_TIMEOUT_MS)
                break
            except AssertionError:
                if attempt == CHOICE_ATTEMPTS:
                    raise


async def expect_panel_loaded(page: Page) -> str:
    """The panel shown has rendered: no loading or error screen. Its element's name."""
    from playwright.async_api import expect

    panel = page.locator("partial-panel-resolver > *").first
    await expect(panel).to_be_visible()
    for busy in ("hass-loading-screen", "ha-spinner", "ha-circular-progress"):
        await expect(page.locator(busy).filter(visible=True)).to_have_count(0)
    await expect(page.get_by_text("Loading data")).to_have_count(0)
    for broken in (
        "hass-error-screen",
        "ha-alert[alert-type=error]",
        "hui-error-card",
    ):
        await expect(page.locator(broken).filter(visible=True)).to_have_count(0)
    name: str = await panel.evaluate("element => element.localName")
    return name


async def expect_picture_loaded(image: Locator) -> int:
    """Wait until the ``<img>`` has loaded its picture; the picture's width."""
    from playwright.async_api import expect

    await expect(image).to_be_visible()
    handle = await image.element_handle()
    await image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=handle
    )
    width: int = await image.evaluate("img => img.naturalWidth")
    return width
