"""Start Home Assistant: plain `hass`, or, on a too-old Python, with one check skipped.

Home Assistant 2026.2 refuses to start below Python 3.13.2, yet its library
runs on 3.13.0, which is what some machines have. There, and only there, skip
just that version check and say so. On a Python that meets the requirement,
this runs the environment's own `hass`, untouched.
"""

import os
from pathlib import Path
import sys

from homeassistant.const import REQUIRED_PYTHON_VER


def main() -> int:
    """Run `hass` with the arguments given to this script."""
    if sys.version_info[:3] >= REQUIRED_PYTHON_VER:
        hass = Path(sys.executable).with_name("hass")
        os.execv(hass, [str(hass), *sys.argv[1:]])
    from homeassistant import __main__ as hass_main  # noqa: PLC0415

    wanted = ".".join(map(str, REQUIRED_PYTHON_VER))
    running = ".".join(map(str, sys.version_info[:3]))
    print(
        f"WARNING: Home Assistant wants Python >= {wanted}; running on {running} "
        "for development only, with its version check skipped.",
        file=sys.stderr,
    )
    hass_main.validate_python = lambda: None
    return hass_main.main()


if __name__ == "__main__":
    sys.exit(main())
