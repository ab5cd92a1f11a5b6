"""Tests of the Obico Failure Detection integration."""
