"""Home Assistant never pip-installs anything when it really runs.

scripts/develop and the tests that start a real `hass` give it ``--skip-pip``;
whatever the integrations they load require must already be installed, at the
versions Home Assistant pins, or a panel hangs on an import error. Home
Assistant's own requirements manager is asked, for this leg's `hass`.
"""

from __future__ import annotations

import subprocess

from tests.real_hass import REPO, hass_python


def test_nothing_a_real_hass_loads_is_missing() -> None:
    """The requirements files hold every runtime requirement, at its pin."""
    result = subprocess.run(  # noqa: S603 (our own script, our interpreter)
        [hass_python(), str(REPO / "scripts" / "lib" / "hass_requirements.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.stdout.split() == [], (
        "Home Assistant would pip-install these at run time; add them to its "
        f"requirements file:\n{result.stdout}"
    )
    assert result.returncode == 0, result.stderr
