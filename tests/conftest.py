"""Test-wide settings."""

from __future__ import annotations

import os

from hypothesis import settings

# CI runs the property tests with a fixed derivation of examples, so a red run can be
# reproduced exactly; developers keep hypothesis's random exploration.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
