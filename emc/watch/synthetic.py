"""Synthetic daily series for the watch's benchmark, tests and demo (pure; seeded numpy only).

A "real-looking" temperature year: a seasonal sine (mean 15 °C, amplitude 12 °C, coldest in
mid-January) plus AR(1) day-to-day weather (σ 3 °C, ρ 0.7). Use from a CalTRACK-shaped model:
``base + βH·HDD(15 °C) + βC·CDD(22 °C)``, times ``1 + noise`` where the noise is AR(1) with a
marginal coefficient of variation ``cv`` (10–15 % gives a baseline fit with CV(RMSE) 10–15 %)
and lag-1 autocorrelation ``rho``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

HEATING_BP_C = 15.0
COOLING_BP_C = 22.0


@dataclass(frozen=True)
class Building:
    base: float
    beta_hdd: float
    beta_cdd: float
    cv: float
    rho: float

    def expected(self, temperature: np.ndarray) -> np.ndarray:
        t = np.asarray(temperature, dtype=float)
        return (
            self.base
            + self.beta_hdd * np.maximum(HEATING_BP_C - t, 0.0)
            + self.beta_cdd * np.maximum(t - COOLING_BP_C, 0.0)
        )


def dates(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def ar1(rng: np.random.Generator, n: int, sd: float, rho: float) -> np.ndarray:
    """AR(1) noise of marginal standard deviation ``sd``."""
    out = np.empty(n)
    innovation = sd * np.sqrt(1.0 - rho * rho)
    out[0] = rng.normal(0.0, sd)
    shocks = rng.normal(0.0, innovation, n)
    for i in range(1, n):
        out[i] = rho * out[i - 1] + shocks[i]
    return out


def temperature_year(rng: np.random.Generator, start: dt.date, n: int) -> np.ndarray:
    doy = np.array([(start + dt.timedelta(days=i)).timetuple().tm_yday for i in range(n)])
    seasonal = 15.0 - 12.0 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    return seasonal + ar1(rng, n, 3.0, 0.7)


def random_building(rng: np.random.Generator) -> Building:
    return Building(
        base=float(rng.uniform(600, 1400)),
        beta_hdd=float(rng.uniform(10, 40)),
        beta_cdd=float(rng.uniform(20, 60)),
        cv=float(rng.uniform(0.10, 0.15)),
        rho=float(rng.uniform(0.2, 0.5)),
    )


def usage(
    rng: np.random.Generator,
    building: Building,
    temperature: np.ndarray,
    *,
    multiplier: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Daily use: the model at ``temperature`` times ``multiplier`` (1 − savings, or a step)
    times ``1 + noise``."""
    n = len(temperature)
    noise = ar1(rng, n, building.cv, building.rho)
    return building.expected(temperature) * multiplier * (1.0 + noise)


def step(n: int, at: int, size: float) -> np.ndarray:
    """A multiplier of 1 before day ``at`` and ``1 + size`` from it."""
    out = np.ones(n)
    out[at:] += size
    return out
