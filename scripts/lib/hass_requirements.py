"""What a running Home Assistant would pip-install, asked of Home Assistant itself.

scripts/develop and the real-`hass` tests start Home Assistant with
``--skip-pip``, so every requirement of every integration they load must
already be in the environment: otherwise a panel hangs on an import error, or,
without ``--skip-pip``, Home Assistant changes the environment behind its
requirements file's back. This runs Home Assistant's own requirements manager
over those integrations, with its installer swapped for a recorder, and prints
each requirement it would have installed. No output, exit 0: nothing missing.

    python scripts/lib/hass_requirements.py        # one requirement per line
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import re
import sys
import tempfile
from typing import Any

from homeassistant import bootstrap, loader, requirements
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.util import package

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from scripts.lib.demo_package import DemoPrinter, package_yaml  # noqa: E402

# What onboarding's core-configuration step sets up (see its views.py).
ONBOARDING_INTEGRATIONS = {"google_translate", "met", "radio_browser", "shopping_list"}
# The config entries scripts/develop and the end-to-end tests add.
ADDED_INTEGRATIONS = {"obico", "mjpeg"}
ENTITY_COMPONENTS = {platform.value for platform in Platform}
_TOP_LEVEL_KEY = re.compile(r"^([a-z_]+):", re.MULTILINE)


def domains() -> set[str]:
    """Every integration a development or test Home Assistant may load."""
    configured = _TOP_LEVEL_KEY.findall(
        (REPO / "config" / "configuration.yaml").read_text()
    ) + _TOP_LEVEL_KEY.findall(
        package_yaml([DemoPrinter("Demo printer", "http://127.0.0.1")])
    )
    return (
        bootstrap.CORE_INTEGRATIONS
        | bootstrap.DEFAULT_INTEGRATIONS
        | ONBOARDING_INTEGRATIONS
        | ADDED_INTEGRATIONS
        | set(configured)
    )


async def missing_requirements() -> list[str]:
    """The requirements Home Assistant would install for ``domains()``."""
    wanted: list[str] = []

    def record(requirement: str, **_: Any) -> bool:
        wanted.append(requirement)
        return True

    package.install_package = record  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as config_dir:
        (Path(config_dir) / "custom_components").symlink_to(REPO / "custom_components")
        hass = HomeAssistant(config_dir)
        hass.config.skip_pip = False
        loader.async_setup(hass)
        await _process_with_platforms(hass, domains() - {"homeassistant"})
        await hass.async_stop(force=True)
    return sorted(set(wanted), key=str.lower)


async def _process_with_platforms(hass: HomeAssistant, start: set[str]) -> None:
    """Process ``start`` and everything loaded along with it.

    Beyond the manifests' dependencies, a platform file (met's ``weather.py``)
    makes Home Assistant set up that entity component (``weather``) too.
    """
    done: set[str] = set()
    todo = set(start)
    while todo:
        domain = todo.pop()
        done.add(domain)
        integration = await requirements.async_get_integration_with_requirements(
            hass, domain
        )
        for candidate in _loaded_with(integration) - done - todo:
            try:
                await loader.async_get_integration(hass, candidate)
            except loader.IntegrationNotFound:
                continue
            todo.add(candidate)


def _loaded_with(integration: loader.Integration) -> set[str]:
    """What Home Assistant sets up along with ``integration``.

    Its after-dependencies are not set up for it; Home Assistant installs
    their requirements all the same, which processing the integration does.
    """
    entity_platforms = {
        path.stem
        for path in integration.file_path.glob("*.py")
        if path.stem in ENTITY_COMPONENTS
    }
    return set(integration.dependencies) | entity_platforms


def main() -> int:
    """Print what is missing; exit 1 when something is."""
    missing = asyncio.run(missing_requirements())
    print("\n".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
