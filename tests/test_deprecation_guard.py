"""The deprecation guard sees what Home Assistant and Python report about us.

Each case makes Home Assistant's own machinery report a deprecated use, from
code that Home Assistant takes for ours (compiled under custom_components/obico),
from a test, or from another integration, and checks what the guard keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
import logging
from pathlib import Path
from typing import Any
import warnings

from homeassistant.core import HomeAssistant
from homeassistant.helpers.deprecation import deprecated_function
from homeassistant.helpers.frame import ReportBehavior, report_usage
import pytest

from tests.deprecation_guard import (
    REPO,
    DeprecationCollector,
    DeprecationGuard,
    is_our_deprecation,
    is_our_warning,
)

PROBES = Path("/nonexistent-obico-probes")


@deprecated_function("tests.new_thing", breaks_in_ha_version="2099.1")
def old_thing() -> str:
    """A deprecated function, as Home Assistant marks one."""
    return "done"


def call_from(integration_path: str, call: Callable[[], Any]) -> Any:
    """Run ``call`` from a frame whose file lies at ``integration_path``.

    Home Assistant finds the calling integration by the file name of a frame
    on the stack, so this is how it sees a call from that integration. The
    file is put outside the working tree, where coverage does not look for it.
    """
    code = compile("result = call()", str(PROBES / integration_path), "exec")
    scope: dict[str, Any] = {"call": call}
    exec(code, scope)  # noqa: S102
    return scope["result"]


@pytest.fixture
def collector(request: pytest.FixtureRequest) -> Generator[DeprecationCollector]:
    """A collector of our own, with the run's guard set aside meanwhile."""
    guard: DeprecationGuard = request.config.pluginmanager.get_plugin(
        "obico-deprecation-guard"
    )
    guard.stop()
    collector = DeprecationCollector()
    logging.getLogger().addHandler(collector)
    yield collector
    logging.getLogger().removeHandler(collector)
    guard.start()


def test_a_deprecated_function_called_from_our_integration(
    hass: HomeAssistant, collector: DeprecationCollector
) -> None:
    """Logged under the deprecated function's module logger, naming us."""
    assert call_from("custom_components/obico/probe.py", old_thing) == "done"
    assert len(collector.seen) == 1
    assert collector.seen[0].startswith("tests.test_deprecation_guard: ")
    assert "was called from obico" in collector.seen[0]


def test_a_usage_report_about_our_integration(
    hass: HomeAssistant, collector: DeprecationCollector
) -> None:
    """Logged under homeassistant.helpers.frame, naming us."""
    call_from(
        "custom_components/obico/probe.py",
        lambda: report_usage(
            "calls a probe of the deprecation guard",
            breaks_in_ha_version="2099.1",
            custom_integration_behavior=ReportBehavior.LOG,
        ),
    )
    assert len(collector.seen) == 1
    assert collector.seen[0].startswith("homeassistant.helpers.frame: ")
    assert "custom integration 'obico'" in collector.seen[0]


def test_a_deprecated_function_called_from_a_test(
    hass: HomeAssistant, collector: DeprecationCollector
) -> None:
    """No integration is named; the stack shows the call came from our tests."""
    old_thing()
    assert len(collector.seen) == 1
    assert "was called." in collector.seen[0]


def test_another_integrations_deprecated_use_is_not_ours(
    hass: HomeAssistant, collector: DeprecationCollector
) -> None:
    """A report naming another integration does not fail our tests."""
    call_from("custom_components/other/probe.py", old_thing)
    assert collector.seen == []


@pytest.mark.parametrize(
    ("message", "ours"),
    [
        ("The deprecated constant X was used from obico. Use Y instead", True),
        ("The deprecated class X was instantiated from obico.", True),
        ("Detected that custom integration 'obico' calls X at line 3", True),
        ("X is deprecated, please report it to the 'obico' custom integration", True),
        ("The deprecated function X was called from http.", False),
        ("Detected that integration 'http' calls X", False),
        ("Detected that custom integration 'obico_extra' calls X", False),
        ("obico: the ML server answered 400", False),
    ],
)
def test_which_messages_name_us(message: str, ours: bool) -> None:
    """The guard reads Home Assistant's wording for each kind of report."""
    assert is_our_deprecation(message) is ours


def test_python_deprecation_warnings_from_our_code() -> None:
    """A DeprecationWarning counts when it is attributed to our files."""

    def warned(filename: str, category: type[Warning]) -> warnings.WarningMessage:
        return warnings.WarningMessage("old", category, filename, 1)

    ours = str(REPO / "custom_components" / "obico" / "api.py")
    assert is_our_warning(warned(ours, DeprecationWarning))
    assert is_our_warning(warned(ours, PendingDeprecationWarning))
    assert not is_our_warning(warned(ours, UserWarning))
    assert not is_our_warning(
        warned("/usr/lib/python3/asyncio/events.py", DeprecationWarning)
    )
