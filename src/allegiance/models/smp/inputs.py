"""Inputs of the Spatial Model of Politics: scenario arrays mapped onto KTAB's unit scale (any
leading batch axes), saliences scaled as KTAB requires, and the ideal-accommodation matrix.

KTAB (Wise et al., KAPSARC 2015–2017) works on positions in [0, 1] and saliences summing to at
most 1 per actor; an actor absent from an issue sits at the weighted mean of those present (it
does not care about that issue, but others measure their distance to it). See docs/models/smp.md.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from allegiance.models.base import ParameterError, check_number
from allegiance.scenario.arrays import ScenarioArrays


def prepare(arrays: ScenarioArrays, salience_scale: str):
    """``(position, salience, cap, low, span)``: positions on [0, 1] and saliences
    ``(*batch, n, D)``, one capability per actor ``(*batch, n)`` (its mean over the issues it
    takes part in), and the map back (``x * span + low``). Every batch item is scaled on its
    own, exactly as if it were run alone."""
    low, high = arrays.scale_low, arrays.scale_high
    span = np.where(high > low, high - low, 1.0)
    present = arrays.present.astype(bool)
    salience = np.where(present, np.nan_to_num(arrays.salience), 0.0)
    capability = np.nan_to_num(arrays.capability)
    if (salience < 0).any():
        raise ValueError("smp: saliences must be >= 0")
    weight = capability * salience
    raw = np.asarray(arrays.position, dtype=float)
    filled = np.where(present & np.isfinite(raw), raw, np.nan)
    w = np.where(np.isfinite(filled), np.where(weight > 0, weight, 1e-12), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.nansum(w * np.nan_to_num(filled), axis=-2) / w.sum(axis=-2)
    centre = np.where(np.isfinite(centre), centre, (low + high) / 2)
    raw = np.where(np.isfinite(filled), raw, centre[..., None, :])
    position = (raw - low) / span
    totals = salience.sum(axis=-1)
    over = (totals > 1 + 1e-9).any(axis=-1)  # per batch item
    if over.any():
        if salience_scale == "error":
            item = np.unravel_index(int(np.argmax(over)), over.shape) if over.ndim else ()
            worst = int(np.argmax(totals[item]))
            raise ValueError(
                f"smp: actor {arrays.actor_ids[worst]!r} has saliences summing to "
                f"{totals[item][worst]:.4g} > 1 (KTAB requires at most 1; set salience_scale)")
        if salience_scale == "global":
            divisor = np.where(over, totals.max(axis=-1), 1.0)[..., None, None]
        else:
            divisor = np.where(over[..., None], np.maximum(totals, 1.0), 1.0)[..., None]
        salience = salience / divisor
    with np.errstate(invalid="ignore"):
        cap_present = np.where(present, capability, np.nan)
        cap = np.nanmean(cap_present, axis=-1)
    cap = np.where(np.isfinite(cap), cap, 0.0)
    return position, salience, cap, low, span


def accommodation_matrix(accommodation, actor_ids) -> np.ndarray | None:
    """The ``(n, n)`` accommodation matrix for these actors, or None for the identity."""
    acc = accommodation
    n = len(actor_ids)
    if acc is None:
        return None
    if isinstance(acc, dict):
        matrix = np.eye(n)
        # actors by id, or by the id's case-insensitive slug (KTAB files name them "Alice")
        index = {slug(a): k for k, a in enumerate(actor_ids)}
        index.update({a: k for k, a in enumerate(actor_ids)})

        def find(name: str) -> int:
            k = index.get(name, index.get(slug(name)))
            if k is None:
                raise ParameterError(f"accommodation: unknown actor {name!r}")
            return k

        for adjusting, row in acc.items():
            for reference, rate in row.items():
                matrix[find(adjusting), find(reference)] = float(rate)
    else:
        matrix = np.asarray(acc, dtype=float)
        if matrix.shape != (n, n):
            raise ParameterError(f"accommodation must be a {n}x{n} matrix for {n} actors; "
                                 f"got shape {matrix.shape}")
    if (matrix.sum(axis=1) > 1 + 1e-10).any():
        raise ParameterError("accommodation: each row must sum to at most 1")
    if np.allclose(matrix, np.eye(n), rtol=0, atol=1e-10):
        return None
    return matrix


def slug(name: str) -> str:
    """``"Alice Smith"`` -> ``"alice-smith"`` (how actors are matched by name)."""
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")


def check_accommodation(value: Any) -> Any:
    """Validate an accommodation parameter: None (identity), a square matrix of rates in [0, 1]
    with rows summing to at most 1, or a mapping ``{adjusting: {reference: rate}}``."""
    if value is None:
        return None
    if isinstance(value, str):
        raise ParameterError(
            f"accommodation must be a square matrix or a mapping {{actor: {{actor: rate}}}}; got "
            f"the text {value!r} (on the command line, write it as YAML or JSON: "
            "--param 'accommodation={A: {B: 0.3}}')")
    if isinstance(value, dict):
        clean: dict[str, dict[str, float]] = {}
        for adjusting, row in value.items():
            if not isinstance(row, dict):
                raise ParameterError("accommodation mapping must be {actor: {actor: rate}}")
            clean[str(adjusting)] = {}
            for reference, rate in row.items():
                rate = check_number("accommodation rate", rate, low=0.0, high=1.0)
                clean[str(adjusting)][str(reference)] = rate
        return clean
    matrix = np.asarray(value, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ParameterError(f"accommodation must be a square matrix; got shape {matrix.shape}")
    if (matrix < 0).any() or (matrix > 1).any():
        raise ParameterError("accommodation rates must lie in [0, 1]")
    if (matrix.sum(axis=1) > 1 + 1e-10).any():
        raise ParameterError("accommodation: each row must sum to at most 1")
    return matrix
