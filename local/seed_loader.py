"""`make run SEED=N`: load N realistic demo intern profiles into the twin."""

from __future__ import annotations


def load_demo_interns(count: int) -> int:
    from chalicelib.services.interns import import_profiles
    from local.seed import generate_profiles

    return int(import_profiles(generate_profiles(count)))
