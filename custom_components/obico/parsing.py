"""Reading numbers that come from outside: stored state and the ML server's answers.

Pure: imports nothing from Home Assistant. A value that cannot be trusted reads
as None instead of raising, so damaged data never stops detection.
"""

from __future__ import annotations

import math


def finite_number(value: object) -> float | None:
    """Return ``value`` as a finite float, or None when it is not one."""
    # bool is an int subclass, but True is neither a time nor a confidence.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None
