"""Settings for every test layer."""

from __future__ import annotations

from hypothesis import settings

# No timed assertions: hypothesis's per-example deadline fails property tests on a loaded
# machine without anything being wrong.
settings.register_profile("microintern", deadline=None)
settings.load_profile("microintern")
