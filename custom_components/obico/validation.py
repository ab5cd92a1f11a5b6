"""The validation library Home Assistant runs, under the one name ``vol``.

At run time ``import voluptuous`` is right on every release: from 2026.9 on,
Home Assistant validates with probatio and installs it under that name. The
type checker, though, reads Home Assistant's annotations, which name probatio's
types from 2026.9 on, so it is told to check against probatio where Home
Assistant runs on Python 3.14, as the newest leg does; the oldest leg, on 3.13,
checks against voluptuous. The condition is seen only by the type checker.
"""

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING and sys.version_info >= (3, 14):
    import probatio as vol
else:
    import voluptuous as vol

__all__ = ["vol"]
