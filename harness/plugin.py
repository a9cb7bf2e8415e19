"""pytest wiring (placeholder until the plugin lands)."""
