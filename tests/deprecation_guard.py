"""Fail the tests when anything deprecated is called or used from our code.

Home Assistant reports deprecated use under its *own* loggers: the module of
the deprecated thing (``homeassistant.helpers.service``), or
``homeassistant.helpers.frame``. Only the text names the caller ("was called
from obico", "custom integration 'obico'"). Python's ``DeprecationWarning`` is
attributed to the calling file by its ``stacklevel``. So the guard listens to
every logger, through the root, and to every warning pytest records, and keeps
those that point at us. A test in which one is seen fails; anything seen
outside a test (at import, in a fixture) fails the run at its end.
"""

from __future__ import annotations

from collections.abc import Generator
import logging
from pathlib import Path
import re
import sys
from types import FrameType
from typing import Any
import warnings

import pytest

REPO = Path(__file__).resolve().parent.parent
# Where our code and our tests live; a deprecated call from either is ours.
OURS = (REPO / "custom_components" / "obico", REPO / "tests", REPO / "scripts")

# How Home Assistant names an integration that used something deprecated:
# "... was called from obico.", "custom integration 'obico'", "the 'obico'
# custom integration", "at custom_components/obico/services.py, line 16".
NAMES_US = re.compile(
    r"\bfrom obico\b|integration 'obico'|'obico' custom integration"
    r"|custom_components/obico/"
)
# Home Assistant's words for a report about deprecated or wrong use.
IS_REPORT = re.compile(
    r"deprecat|Detected (that|code that)|will stop working|will be removed",
    re.IGNORECASE,
)
# A report with no integration named: the caller was not an integration, so
# the stack tells whether it was one of our tests.
NAMES_NO_ONE = re.compile(r"Detected code that|was (called|used)\.", re.IGNORECASE)


def _frames_are_ours(frame: FrameType | None) -> bool:
    """Whether the call that led here passed through our code or tests."""
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path != Path(__file__).resolve() and any(
            path.is_relative_to(root) for root in OURS
        ):
            return True
        frame = frame.f_back
    return False


def is_our_deprecation(message: str, frame: FrameType | None = None) -> bool:
    """Whether a logged message reports deprecated use by our code."""
    if not IS_REPORT.search(message):
        return False
    if NAMES_US.search(message):
        return True
    return bool(NAMES_NO_ONE.search(message)) and _frames_are_ours(frame)


def is_our_warning(message: warnings.WarningMessage) -> bool:
    """Whether a Python warning is a deprecation attributed to our code."""
    if not issubclass(message.category, DeprecationWarning | PendingDeprecationWarning):
        return False
    path = Path(message.filename).resolve()
    return any(path.is_relative_to(root) for root in OURS)


class DeprecationCollector(logging.Handler):
    """Keeps every log record, of any logger, that reports us for deprecated use."""

    def __init__(self) -> None:
        """Start with nothing seen."""
        super().__init__(level=logging.NOTSET)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record if it names us, or was logged while our code ran."""
        message = record.getMessage()
        if is_our_deprecation(message, sys._getframe(1)):
            self.seen.append(f"{record.name}: {message}")


def _describe(message: warnings.WarningMessage) -> str:
    return (
        f"{message.filename}:{message.lineno}: "
        f"{message.category.__name__}: {message.message}"
    )


class DeprecationGuard:
    """The pytest plugin: one collector for the whole run, checked per test."""

    def __init__(self) -> None:
        """Listen on the root logger, through which every logger's records pass."""
        self.collector = DeprecationCollector()
        self.outside_tests: list[str] = []

    def start(self) -> None:
        """Begin listening."""
        logging.getLogger().addHandler(self.collector)

    def stop(self) -> None:
        """Stop listening."""
        logging.getLogger().removeHandler(self.collector)

    def take(self) -> list[str]:
        """What was seen since the last call."""
        seen, self.collector.seen = self.collector.seen, []
        return seen

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any]:
        """Fail the test if its fixtures made us use anything deprecated."""
        yield from self._guard_phase()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any]:
        """Fail the test if its body made us use anything deprecated."""
        yield from self._guard_phase()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, Any]:
        """Fail the test if its teardown made us use anything deprecated."""
        yield from self._guard_phase()

    def _guard_phase(self) -> Generator[None, Any]:
        self.outside_tests += self.take()
        # Recorded, not raised: raised inside our code, a warning could be
        # caught by a handler there and never reach the test.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = yield
        for message in caught:
            if is_our_warning(message):
                self.collector.seen.append(_describe(message))
            warnings.warn_explicit(
                message.message, message.category, message.filename, message.lineno
            )
        if (seen := self.take()) and outcome.excinfo is None:
            outcome.force_exception(
                pytest.fail.Exception(
                    "Deprecated Home Assistant or Python API used from obico:\n"
                    + "\n".join(seen),
                    pytrace=False,
                )
            )

    def pytest_warning_recorded(
        self, warning_message: warnings.WarningMessage, when: str
    ) -> None:
        """Keep deprecation warnings from our code at import or configuration.

        Those of a test's phases were judged there already.
        """
        if when != "runtest" and is_our_warning(warning_message):
            self.outside_tests.append(_describe(warning_message))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Fail the run for what was seen outside any test: at import, between tests."""
        self.outside_tests += self.take()
        if self.outside_tests:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say what failed the run outside any test body."""
        if self.outside_tests:
            terminalreporter.section("deprecated API used from obico", red=True)
            for line in dict.fromkeys(self.outside_tests):
                terminalreporter.line(line)


def pytest_configure(config: pytest.Config) -> None:
    """Install the guard for the whole run."""
    guard = DeprecationGuard()
    guard.start()
    config.pluginmanager.register(guard, "obico-deprecation-guard")
    config.add_cleanup(guard.stop)
