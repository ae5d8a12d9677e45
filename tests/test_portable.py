"""Model arithmetic that gives the same bits on every machine (models/portable.py).

NumPy's ``power``, ``exp`` and ``log`` use processor-specific routines (AVX-512 machines differ in
the last bit from others), and a last bit can change a model's forecast: the DEU backtest gave a
different BDM error on two machines. The models therefore take these functions from
``models.portable`` (the C library's routines, compiled by Numba).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from allegiance.models import portable

SRC = Path(__file__).resolve().parents[1] / "src" / "allegiance"
#: NumPy's processor-dependent transcendental functions
DISPATCHED = re.compile(r"\bnp\.(power|exp|exp2|expm1|log|log2|log10|log1p|sin|cos|tan|tanh|"
                        r"arctan|arcsin|arccos|cbrt)\(")
#: where forecasts are computed: models, and the capability estimates of the backtest
MODEL_CODE = [*sorted((SRC / "models").rglob("*.py")),
              SRC / "validation" / "estimated_capability.py"]


def test_models_use_no_processor_dependent_numpy_functions():
    found = [f"{path.relative_to(SRC)}:{n}: {line.strip()}"
             for path in MODEL_CODE if path.name != "portable.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if DISPATCHED.search(line) and not line.lstrip().startswith(("#", ">>>"))]
    assert not found, "use allegiance.models.portable instead:\n" + "\n".join(found)


def test_values_agree_with_the_c_library():
    import math

    rng = np.random.default_rng(7)
    base, exponent = rng.random(2000) * 5, rng.random(2000) * 4 - 2
    assert portable.power(base, exponent).tolist() == [
        math.pow(b, e) for b, e in zip(base, exponent, strict=True)]
    assert portable.exp(exponent).tolist() == [math.exp(e) for e in exponent]
    assert portable.log(base).tolist() == [math.log(b) for b in base]
    out = np.empty_like(base)
    assert portable.power(base, 2.0, out=out) is out
    assert portable.log(np.array([0.0]))[0] == -np.inf


#: the IEEE special cases of pow, exp and log (poles, overflow, negative bases, signed zeros)
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 2.5, -2.5, 7.0, -7.0,
                    1e300, -1e300, 1e-300, 1e-320, 700.0, 710.0, -750.0, 2.0**60, 1 - 2.0**60,
                    np.inf, -np.inf, np.nan])


def _bits(values: np.ndarray) -> list[str]:
    return [float(v).hex() for v in values]


def test_small_arrays_give_the_compiled_routines_bits(monkeypatch):
    """Below ``COMPILED_FROM`` elements the routines go through Python's math (no Numba to load
    for a single forecast); both routes give the same bits, special values included."""
    rng = np.random.default_rng(11)
    base, exponent = (a.ravel() for a in np.meshgrid(SPECIAL, SPECIAL))
    base = np.concatenate([base, rng.normal(0, 10, 3000), rng.random(1000)])
    exponent = np.concatenate([exponent, rng.normal(0, 3, 3000), rng.random(1000) * 4 - 2])
    with np.errstate(all="ignore"):
        monkeypatch.setattr(portable, "_compiled", lambda size: False)
        small = (portable.power(base, exponent), portable.exp(exponent * 100),
                 portable.log(base))
        monkeypatch.setattr(portable, "_compiled", lambda size: True)
        compiled = (portable.power(base, exponent), portable.exp(exponent * 100),
                    portable.log(base))
    for name, a, b in zip(("power", "exp", "log"), small, compiled, strict=True):
        assert _bits(a) == _bits(b), name
    out = np.empty(3)
    monkeypatch.setattr(portable, "_compiled", lambda size: False)
    with np.errstate(invalid="ignore"):  # the square root of -8, as the C library's pow gives it
        assert portable.power(np.array([4.0, 0.0, -8.0]), 0.5, out=out) is out
    assert _bits(out) == _bits(np.array([2.0, 0.0, np.nan]))


def test_a_small_forecast_does_not_load_numba():
    """A single forecast of a small scenario runs on NumPy and Python's math: loading Numba
    would cost it about half a second."""
    code = ("import sys, allegiance; s = allegiance.load_scenario('syria-2014'); "
            "[allegiance.forecast(s, model=m) for m in ('bdm', 'smp', 'nash')]; "
            "print('numba' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.split() == ["False"]


SCRIPT = """
import json, allegiance
s = allegiance.load_scenario("syria-2014")
out = {m: allegiance.forecast(s, model=m) for m in ("bdm", "smp", "nash")}
print(json.dumps({m: {i: float(v).hex() for i, v in r.outcome.items()} for m, r in out.items()}))
"""


def _forecasts(env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(proc.stdout)


def test_forecasts_do_not_depend_on_numpys_processor_features():
    """The same forecasts, to the bit, with NumPy's AVX-512 routines switched off (on a machine
    that has none, with its AVX2 routines switched off instead)."""
    import os

    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # NumPy 1
        from numpy.core._multiarray_umath import __cpu_features__ as features

    level = "X86_V4" if features.get("X86_V4") else "X86_V3"
    if not features.get(level):
        pytest.fail("this test knows the x86-64 feature groups only (X86_V4, X86_V3); on this "
                    "machine name the groups NumPy dispatches to here")
    plain = _forecasts(dict(os.environ))
    assert plain == _forecasts({**os.environ, "NPY_DISABLE_CPU_FEATURES": level})


#: linear algebra whose last bits depend on the processor's BLAS/LAPACK kernels
LINEAR_ALGEBRA = re.compile(r"\b(leggauss|tensordot|np\.linalg|np\.dot)\b")


def test_power_indices_use_no_processor_dependent_linear_algebra():
    """Power indices are Gauss–Legendre integrals; the rule and the sum over its nodes are plain
    arithmetic (a docs table printed a different last digit on a machine with AVX-512)."""
    path = SRC / "coalitions" / "power_kernel.py"
    found = [f"{n}: {line.strip()}"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if LINEAR_ALGEBRA.search(line) and not line.lstrip().startswith(("#", ">>>"))
             and "``" not in line]
    assert not found, "\n".join(found)


def test_gauss_legendre_rule_integrates_polynomials_exactly():
    """The n-point rule integrates t**k on [0, 1] exactly for k < 2n (to rounding), better than
    NumPy's eigenvalue-based rule, which it replaces."""
    from allegiance.coalitions.power_kernel import gauss_legendre

    for n in (1, 2, 7, 50, 301):
        x, w = gauss_legendre(n)
        t, v = (x + 1) / 2, w / 2
        for k in sorted({0, 1, n, 2 * n - 1}):
            exact = 1.0 / (k + 1)
            assert abs(float(np.sum(v * t**k)) - exact) <= 1e-13 * exact, (n, k)
        assert np.array_equal(x, -x[::-1]) and np.array_equal(w, w[::-1])
