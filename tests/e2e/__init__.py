"""End to end: real `hass`, the ML API simulator and demo printers, as processes."""
