"""A real Dask distributed LocalCluster gives the same numbers as the local executor."""

from __future__ import annotations

import numpy as np
import pytest
from test_sampling import toy_scenario

from allegiance.uncertainty.executors import LOOPBACK_HTTP, DaskExecutor, make_executor
from allegiance.uncertainty.montecarlo import run_montecarlo

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster_client():
    """A LocalCluster of two thread workers (in-process, no network port, no dashboard)."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None, scheduler_kwargs=LOOPBACK_HTTP)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("model", ["median", "bdm"])
def test_dask_run_equals_local_run(cluster_client, model):
    scenario = toy_scenario()
    params = {"rounds": 3} if model == "bdm" else {}
    local = run_montecarlo(scenario, model, runs=700, seed=21, chunk_size=128, **params)
    executor = DaskExecutor(client=cluster_client)
    assert executor.workers == 2
    remote = run_montecarlo(scenario, model, runs=700, seed=21, chunk_size=128,
                            executor=executor, **params)
    executor.close()  # does not close a client it did not open
    assert cluster_client.status == "running"
    np.testing.assert_array_equal(local.outcomes, remote.outcomes)
    np.testing.assert_array_equal(local.final_positions, remote.final_positions)
    np.testing.assert_array_equal(local.winning, remote.winning)
    assert remote.executor["name"] == "dask"


def test_dask_until_se_stops_at_the_same_draw(cluster_client):
    scenario = toy_scenario()
    local = run_montecarlo(scenario, "mean", runs=20_000, seed=4, until_se=0.01,
                           chunk_size=256)
    remote = run_montecarlo(scenario, "mean", runs=20_000, seed=4, until_se=0.01,
                            chunk_size=256, executor=DaskExecutor(client=cluster_client))
    assert remote.runs == local.runs < 20_000
    np.testing.assert_array_equal(local.outcomes, remote.outcomes)


def test_executor_starts_and_stops_its_own_local_cluster():
    scenario = toy_scenario()
    local = run_montecarlo(scenario, "mean", runs=300, seed=2, chunk_size=100)
    with DaskExecutor(workers=2, processes=False) as executor:
        remote = run_montecarlo(scenario, "mean", runs=300, seed=2, chunk_size=100,
                                executor=executor)
        client = executor.client
    assert client.status in ("closed", "closing")
    np.testing.assert_array_equal(local.outcomes, remote.outcomes)


def test_make_executor_dask():
    executor = make_executor("dask", workers=3)
    assert isinstance(executor, DaskExecutor) and executor.workers == 3
    executor.close()


def test_cli_with_a_scheduler_address(cluster_client, tmp_path):
    import json

    from typer.testing import CliRunner

    from allegiance.cli import app
    from allegiance.io import save_scenario

    path = tmp_path / "toy.yaml"
    save_scenario(toy_scenario(), path)
    address = cluster_client.scheduler.address
    args = ["montecarlo", str(path), "--model", "median", "--runs", "500", "--seed", "6",
            "--chunk-size", "100", "--format", "json", "--no-progress"]
    remote = CliRunner().invoke(app, [*args, "--executor", "dask", "--scheduler", address])
    assert remote.exit_code == 0, remote.output
    local = CliRunner().invoke(app, args)
    remote_data, local_data = json.loads(remote.stdout), json.loads(local.stdout)
    assert remote_data["executor"] == {"name": "dask", "workers": 2, "scheduler": address}
    assert remote_data["issues"] == local_data["issues"]
    assert remote_data["coalitions"] == local_data["coalitions"]
    bad = CliRunner().invoke(app, [*args, "--scheduler", address])  # needs --executor dask
    assert bad.exit_code == 2
