"""`python -m allegiance.precompile` (run by `make test` before the suite) reaches every kernel
the models run."""

from __future__ import annotations

from allegiance import precompile


def test_precompile_compiles_every_kernel_the_models_run():
    from allegiance.coalitions import power_kernel
    from allegiance.models import portable
    from allegiance.models.bdm import kernels as bdm_kernels
    from allegiance.models.exchange import kernel_run as exchange_kernels
    from allegiance.models.smp import kernel_run as smp_kernels
    from allegiance.models.smp import kernels as smp_turn_kernels
    from allegiance.models.smp import stepwise

    thresholds = stepwise.STEPWISE_FROM, power_kernel.PARALLEL_THRESHOLD
    seconds = precompile.precompile()
    assert set(seconds) == set(precompile.STEPS)
    # the thresholds a step lowers for a moment are restored
    assert (stepwise.STEPWISE_FROM, power_kernel.PARALLEL_THRESHOLD) == thresholds
    dispatchers = [bdm_kernels.simulate_batch, smp_kernels.run_batch, smp_kernels.run,
                   smp_turn_kernels.search_rows, exchange_kernels.run_batch,
                   power_kernel._kernel_serial, power_kernel._kernel_parallel,
                   *portable._ufuncs()]
    for dispatcher in dispatchers:
        assert getattr(dispatcher, "signatures", None) or dispatcher.types, dispatcher


def _cached_tree(root):
    """A package with one source and a cached function of it, stamped."""
    (root / "__pycache__").mkdir(parents=True)
    (root / "formulas.py").write_text("def f(x):\n    return x + 1\n")
    for name in ("formulas.f-1.py311.nbi", "formulas.f-1.py311.1.nbc"):
        (root / "__pycache__" / name).write_bytes(b"cached")
    precompile.write_stamp(root)
    return root


def test_the_cache_stays_while_its_sources_are_unchanged(tmp_path):
    root = _cached_tree(tmp_path / "pkg")
    assert not precompile.clear_stale_cache(root)
    assert len(precompile.cache_files(root)) == 2


def test_a_changed_source_empties_the_whole_cache(tmp_path):
    """Numba would keep a caller's cached code when only a function it calls changed."""
    root = _cached_tree(tmp_path / "pkg")
    (root / "kernels.py").write_text("from formulas import f\n")
    for name in ("kernels.g-1.py311.nbi", "kernels.g-1.py311.1.nbc"):
        (root / "__pycache__" / name).write_bytes(b"cached")
    precompile.write_stamp(root)
    (root / "formulas.py").write_text("def f(x):\n    return x + 2\n")
    assert precompile.clear_stale_cache(root)
    assert precompile.cache_files(root) == []
    assert not precompile.clear_stale_cache(root)  # nothing left to clear


def test_code_cached_from_an_unstamped_source_or_without_a_stamp_is_cleared(tmp_path):
    root = _cached_tree(tmp_path / "pkg")
    (root / "other.py").write_text("def g():\n    return 0\n")
    (root / "__pycache__" / "other.g-1.py311.nbi").write_bytes(b"cached")
    assert precompile.clear_stale_cache(root)
    root = _cached_tree(tmp_path / "bare")
    (root / precompile.STAMP).unlink()
    assert precompile.clear_stale_cache(root)
