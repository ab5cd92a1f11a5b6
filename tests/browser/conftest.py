"""Fixtures of the browser tests: the demo stack, Chromium, screenshots.

The tests run on the newest leg, the Home Assistant and frontend that users
run (scripts/lib/leg.sh installs Debian's chromium there), and are skipped
elsewhere; OBICO_BROWSER_TESTS=1 runs them on any leg, e.g. locally.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass, field
import importlib.util
import os
from pathlib import Path
import shutil
from typing import TYPE_CHECKING

import pytest

from scripts.lib.demo_stack import DemoStack, demo_stack
from scripts.lib.hass_api import Owner
from tests.browser.frontend import (
    ARTIFACTS,
    CHROMIUM,
    TIMEOUT_MS,
    Screenshots,
    open_browser,
)
from tests.obico_ml_server import free_port
from tests.real_hass import REPO, STARTUP_TIMEOUT, hass_python

if TYPE_CHECKING:
    from playwright.async_api import Page

HERE = Path(__file__).parent
FORCE = "OBICO_BROWSER_TESTS"
OWNER = Owner()
PRINTER = "Demo printer"
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_STACK = pytest.StashKey[DemoStack]()
# What the tests saw, shown at the end of the run: screenshots and notes.
_SUMMARY = pytest.StashKey[list[str]]()


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    forced = os.environ.get(FORCE) == "1"
    if os.environ.get("OBICO_LEG") != "newest" and not forced:
        return (
            "browser tests run on the newest leg (scripts/test --leg newest); "
            f"{FORCE}=1 runs them here"
        )
    if forced:
        # On the newest leg these are set-up errors, reported by the fixtures.
        if not CHROMIUM.exists():
            return f"no {CHROMIUM}: install the Debian package chromium"
        if importlib.util.find_spec("playwright") is None:
            return "no playwright: pip install it (requirements_test_newest.txt)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip this folder's tests, with the reason, where they cannot run."""
    if (reason := skip_reason()) is None:
        return
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report; a failed test shows the end of Home Assistant's log."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    if report.when == "call" and report.failed and _STACK in item.stash:
        report.sections.append(("Home Assistant's log", notable(item.stash[_STACK])))
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """List the screenshots and what the browser tests noted."""
    if lines := config.stash.get(_SUMMARY, []):
        terminalreporter.section("browser tests")
        for line in lines:
            terminalreporter.write_line(line)


def notable(stack: DemoStack) -> str:
    """The end of Home Assistant's log: warnings, errors and the integration's lines."""
    lines = [
        line
        for line in stack.log().splitlines()
        if " WARNING " in line or " ERROR " in line or "obico" in line
    ]
    return "\n".join(lines[-60:])


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """No test instance here: the real `hass` loads the integration from the tree."""


@dataclass
class Frontend:
    """A logged-out browser tab, its screenshots, and what went wrong in it."""

    page: Page
    shots: Screenshots
    summary: list[str]
    page_errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        """Say ``line`` in the run's summary."""
        self.summary.append(f"  {line}")


@pytest.fixture
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, socket_enabled: None
) -> AsyncGenerator[DemoStack]:
    """The simulator, a demo printer and a real, onboarded `hass`, without entries."""
    config = tmp_path / "config"
    config.mkdir()
    # What scripts/develop runs: the frontend with history and logbook.
    shutil.copy(REPO / "config" / "configuration.yaml", config)
    async with demo_stack(
        config,
        port=free_port(),
        printers=[PRINTER],
        owner=OWNER,
        hass_python=hass_python(),
        host="127.0.0.1",
        startup_timeout=STARTUP_TIMEOUT,
    ) as running:
        request.node.stash[_STACK] = running
        yield running


@pytest.fixture
async def frontend(
    request: pytest.FixtureRequest, tmp_path: Path, stack: DemoStack
) -> AsyncGenerator[Frontend]:
    """Headless Chromium with a fresh profile, on an empty tab.

    The screenshots are listed at the end of the run; a failed test adds one of
    the tab as it was left.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"no {CHROMIUM}: scripts/lib/leg.sh installs Debian's chromium")
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=TIMEOUT_MS)
    shots = Screenshots(ARTIFACTS / request.node.name)
    summary = request.config.stash.setdefault(_SUMMARY, [])
    summary.append(f"{request.node.name} ({stack.hass.url}):")
    async with async_playwright() as playwright:
        refused: list[str] = []
        context = await open_browser(playwright, tmp_path / "chromium", refused)
        page = context.pages[0] if context.pages else await context.new_page()
        tab = Frontend(page, shots, summary, refused=refused)
        page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
        try:
            yield tab
            call = request.node.stash.get(_REPORTS, {}).get("call")
            if call is not None and call.failed:
                await shots.take(page, "failed")
        finally:
            await context.close()
            tab.note(f"screenshots in {shots.folder}:")
            tab.note("  " + " ".join(path.name for path in shots.taken))
            if refused:
                tab.note(f"refused requests off this machine: {sorted(set(refused))}")
