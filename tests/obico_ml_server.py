"""The tests' Obico ML API: ``scripts/obico_ml_simulator.py`` under its old names.

The simulator is the one implementation of DESIGN section 2 that the tests,
the bench and ``scripts/develop`` share; this module keeps the names the
tests grew up with.
"""

from __future__ import annotations

from scripts.obico_ml_simulator import (
    ACCEPTED_FORMATS,
    FETCH_ATTEMPTS,
    FETCH_BACKOFF,
    FETCH_TIMEOUT,
    MISSING_IMG_BODY,
    MODES,
    FetchError,
    FrameHost,
    ObicoMlSimulator,
    RecordedRequest,
    decode_frame,
    failing_print,
    free_port,
    make_jpeg,
    make_png,
)

FakeObicoMlServer = ObicoMlSimulator
# scripts/bench.py times the ML server's decode under this name.
_decode = decode_frame

__all__ = [
    "ACCEPTED_FORMATS",
    "FETCH_ATTEMPTS",
    "FETCH_BACKOFF",
    "FETCH_TIMEOUT",
    "MISSING_IMG_BODY",
    "MODES",
    "FakeObicoMlServer",
    "FetchError",
    "FrameHost",
    "RecordedRequest",
    "failing_print",
    "free_port",
    "make_jpeg",
    "make_png",
]
