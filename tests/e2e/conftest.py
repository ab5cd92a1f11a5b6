"""What every end-to-end test gets: loopback sockets, and no process left behind."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import suppress
from pathlib import Path
import shutil
from typing import IO

import psutil
import pytest

from tests.e2e.stack import running_command
from tests.real_hass import REPO

DEV_CONFIGURATION = REPO / "config" / "configuration.yaml"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No in-process Home Assistant here: the one under test is a process of its own.

    Overrides the suite's fixture, which would start the test plugin's for
    nothing.
    """


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """Let the test talk to its processes on 127.0.0.1."""


@pytest.fixture(autouse=True)
def no_process_left() -> Generator[None]:
    """Fail a test after which a process it started still runs, and end that process.

    The stacks stop their processes in a ``finally``; this checks that they did,
    even when pytest-timeout cut the test short where no ``finally`` ran.
    """
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    yield
    left = {
        child: command
        for child in psutil.Process().children(recursive=True)
        if child.pid not in before and (command := running_command(child))
    }
    for child in left:
        with suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(left, timeout=10)
    assert not left, f"processes left running: {list(left.values())}"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A configuration folder with scripts/develop's configuration.yaml."""
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copyfile(DEV_CONFIGURATION, folder / "configuration.yaml")
    return folder


@pytest.fixture
def tool_output(tmp_path: Path) -> Generator[IO[bytes]]:
    """Where the simulator and the demo printers write what they say."""
    with (tmp_path / "tools.log").open("wb") as output:
        yield output
