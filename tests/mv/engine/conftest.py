"""Synthetic weather and usage shared by the engine tests (deterministic; seeded noise)."""

import numpy as np
import pytest


def _year(start="2023-01-01", days=365):
    d = np.arange(np.datetime64(start), np.datetime64(start) + days, dtype="datetime64[D]")
    doy = np.arange(days)
    # A Beijing-like year: about −2 °C in January to 26 °C in July, with a weekly wobble so that
    # degree days are not a smooth function of the date.
    t = 12.0 - 14.0 * np.cos(2 * np.pi * doy / 365.0) + 2.0 * np.sin(2 * np.pi * doy / 7.0)
    return d, t


@pytest.fixture
def year():
    """(dates, daily mean °C) for 2023."""
    return _year()


@pytest.fixture
def make_year():
    """Factory: make_year(start, days) → (dates, daily mean °C)."""
    return _year


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)
