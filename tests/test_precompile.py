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
