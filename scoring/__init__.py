"""Turns indicator values and Shariah findings into the three-letter rating (pure engine + services)."""
