"""Browser tests: the real frontend of a real Home Assistant, in headless Chromium."""
