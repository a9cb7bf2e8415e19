"""Tests of harness.fuzz."""
