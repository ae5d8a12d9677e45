"""Every analysis from explicit inputs: the one place the CLI, the web app and ``runs rerun``
compute a run.

One function per run kind (:data:`ANALYSES`) takes the scenario, the model, its parameters, the
kind's own ``options``, the seed, the as-of date and the variant, and returns an
:class:`Analysis`: the result object (which the CLI renders as tables) and its JSON document,
exactly what the CLI's ``--format json`` prints for the same inputs (for ``backtest``, the
``backtest.json`` it writes). :func:`run_analysis` returns that document directly.

``options`` are completed with the kind's defaults by :func:`full_options` (an unknown option is
an error naming the known ones), so a stored run records every setting. ``progress`` is called
as ``progress(done, total)``.

>>> doc = run_analysis("forecast", "eu-emissions-1994", model="median")
>>> doc["model"]["name"], sorted(doc["outcome"])
('median', ['emission-standards-date'])
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Progress = Callable[[int, int], None] | None

#: each kind's options and their defaults (those of the CLI's options)
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "forecast": {"rounds": None},
    "montecarlo": {"runs": 5000, "until_se": None, "chunk_size": 1024, "grade_widths": None,
                   "quota": "simple", "coalitions": {}, "executor": "local", "workers": None,
                   "scheduler": None},
    "sensitivity": {"runs": 2000, "top": 8, "grade_widths": None, "quota": "simple",
                    "executor": "local", "workers": None, "scheduler": None},
    "timeline": {"dates": [], "runs": 0, "top": 6, "quota": "simple", "coalitions": {}},
    "coalitions": {"coalitions": [], "only_given": False, "quota": None,
                   "weighting": "capability", "theories": True, "top": 5, "cap": None,
                   "bloc_tolerance": 0.05},
    "backtest": {"capability": "equal", "runs": 20, "bootstrap": 2000, "tune": None},
    "power": {"quota": None, "issue": None},
    "levers": {"coalition": "local", "within": "ranges", "levers": None, "budget": 3,
               "tolerance": 0.10, "quota": None},
}
#: options that say where a run is computed, not what it computes (a rerun computes locally)
PLACEMENT_OPTIONS = ("executor", "workers", "scheduler")


@dataclass
class Analysis:
    """A computed run: ``value`` for rendering, :meth:`document` for JSON and the store."""

    kind: str
    value: Any
    to_document: Callable[[], dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The JSON document, with the summary sentences first (:mod:`allegiance.summary`)."""
        if "document" not in self.extra:
            from allegiance.summary import with_summary

            self.extra["document"] = with_summary(self.kind, self.to_document(),
                                                  self.extra.get("scenario"))
        return self.extra["document"]


@dataclass(frozen=True)
class Dataset:
    """A data-set file's text (DEU) and its file name, what a backtest reads."""

    text: str
    name: str

    @classmethod
    def from_path(cls, path: str | Path) -> Dataset:
        from allegiance.io.filesystem import read_text

        path = Path(path)
        if not path.is_file():
            from allegiance.io import ReadError
            from allegiance.io.errors import problem

            raise ReadError([problem("no such file", file=str(path))], source=str(path))
        return cls(read_text(path), path.name)


def full_options(kind: str, options: dict[str, Any] | None) -> dict[str, Any]:
    """``options`` completed with the defaults of ``kind``; ValueError naming unknown ones."""
    if kind not in ANALYSES:
        raise ValueError(f"unknown run kind {kind!r} (known: {', '.join(ANALYSES)})")
    defaults = DEFAULT_OPTIONS.get(kind, {})
    unknown = sorted(set(options or {}) - set(defaults))
    if unknown:
        raise ValueError(f"unknown option(s) for {kind}: {', '.join(unknown)} (known: "
                         f"{', '.join(defaults) or 'none'})")
    return {**defaults, **(options or {})}


def _scenario(scenario: Any, variant: str | None = None, as_of: str | None = None):
    from allegiance.io import load_scenario

    loaded = load_scenario(scenario) if isinstance(scenario, str | Path) else scenario
    if variant:
        loaded = loaded.variant(variant)
    if as_of:
        loaded = loaded.as_of(as_of)
    return loaded


def compute_forecast(scenario, *, model=None, params=None, options=None, seed=None, as_of=None,
                     variant=None, progress: Progress = None) -> Analysis:
    """One model run (``allegiance forecast``). ``variant`` is the scenario's what-if variant,
    or for models with variants (bdm, exchange) the model variant when the scenario has none of
    that name."""
    from allegiance.forecast import forecast
    from allegiance.models.registry import get_model_class

    opts = full_options("forecast", options)
    model = model or "mean"
    loaded = _scenario(scenario)
    params = dict(params or {})
    model_class = get_model_class(model)
    scenario_variant = None
    if variant:
        if variant in loaded.variants:
            scenario_variant = variant
        elif "variant" in model_class.param_names():
            params.setdefault("variant", variant)
        else:
            loaded.variant(variant)  # raises the "no variant" error
    if opts["rounds"] is not None:
        names = model_class.param_names()
        key = next((k for k in ("rounds", "max_turns", "turns") if k in names), None)
        if key is None:
            raise ValueError(f"model {model!r} has no rounds (it is static)")
        params[key] = opts["rounds"]
    result = forecast(loaded, model, as_of=as_of, scenario_variant=scenario_variant, seed=seed,
                      **params)
    if progress:
        progress(1, 1)
    return Analysis("forecast", result, result.to_dict, {"scenario": result.scenario})


def _executor(opts: dict[str, Any]):
    from allegiance.uncertainty.executors import make_executor

    return make_executor(opts["executor"], workers=opts["workers"], scheduler=opts["scheduler"])


def compute_montecarlo(scenario, *, model=None, params=None, options=None, seed=None,
                       as_of=None, variant=None, progress: Progress = None) -> Analysis:
    """Monte Carlo over the scenario's judgements (``allegiance montecarlo``)."""
    from allegiance.uncertainty.montecarlo import run_montecarlo

    opts = full_options("montecarlo", options)
    loaded = _scenario(scenario, variant, as_of)
    with _executor(opts) as pool:
        result = run_montecarlo(
            loaded, model or "mean", runs=opts["runs"], seed=seed, until_se=opts["until_se"],
            chunk_size=opts["chunk_size"], executor=pool, grade_widths=opts["grade_widths"],
            quota=opts["quota"], coalitions=opts["coalitions"], progress=progress,
            **(params or {}))
    return Analysis("montecarlo", result, result.to_dict, {"scenario": loaded})


def compute_sensitivity(scenario, *, model=None, params=None, options=None, seed=None,
                        as_of=None, variant=None, progress: Progress = None) -> Analysis:
    """Tornado and Sobol indices (``allegiance sensitivity``)."""
    from allegiance.uncertainty.sensitivity import run_sensitivity

    opts = full_options("sensitivity", options)
    if opts["top"] < 1:
        raise ValueError("--top must be >= 1")
    loaded = _scenario(scenario, variant, as_of)
    with _executor(opts) as pool:
        result = run_sensitivity(loaded, model or "mean", runs=opts["runs"], seed=seed,
                                 grade_widths=opts["grade_widths"], executor=pool,
                                 progress=progress, quota=opts["quota"], **(params or {}))
    return Analysis("sensitivity", result, lambda: result.to_dict(opts["top"]),
                    {"scenario": loaded})


def compute_timeline(scenario, *, model=None, params=None, options=None, seed=None, as_of=None,
                     variant=None, progress: Progress = None) -> Analysis:
    """The forecast at each dated state and why it moved (``allegiance timeline``)."""
    from allegiance.uncertainty.timeline import parse_date, run_timeline

    opts = full_options("timeline", options)
    if as_of:
        raise ValueError("a timeline evaluates every dated state; as_of does not apply")
    loaded = _scenario(scenario, variant)
    result = run_timeline(loaded, model or "mean",
                          dates=[parse_date(d) for d in opts["dates"]], seed=seed,
                          runs=opts["runs"], quota=opts["quota"], coalitions=opts["coalitions"],
                          **(params or {}))
    if progress:
        progress(1, 1)
    return Analysis("timeline", result, result.to_dict, {"scenario": loaded})


def compute_coalitions(scenario, *, model=None, params=None, options=None, seed=None,
                       as_of=None, variant=None, progress: Progress = None) -> Analysis:
    """Is a coalition viable (``allegiance coalitions``)."""
    from allegiance.coalitions.formation import DEFAULT_CAP
    from allegiance.coalitions.report import coalition_report

    opts = full_options("coalitions", options)
    loaded = _scenario(scenario, variant)
    report = coalition_report(
        loaded, model=model or "mean", coalitions=opts["coalitions"] or None,
        include_named=not opts["only_given"], as_of=as_of, quota=opts["quota"],
        weighting=opts["weighting"], seed=seed, params=dict(params or {}),
        theories=opts["theories"], top=opts["top"],
        cap=DEFAULT_CAP if opts["cap"] is None else opts["cap"],
        bloc_tolerance=opts["bloc_tolerance"])
    if progress:
        progress(1, 1)
    return Analysis("coalitions", report, lambda: json.loads(json.dumps(report.to_dict())),
                    {"scenario": loaded})


def compute_backtest(dataset, *, model=None, params=None, options=None, seed=None, as_of=None,
                     variant=None, progress: Progress = None) -> Analysis:
    """Score models against a DEU data set's recorded outcomes (``allegiance backtest``).
    ``dataset`` is a :class:`Dataset` or a path; ``model`` a name or ``"all"``; options
    ``capability`` (an option or ``"all"``), ``runs``, ``bootstrap``, ``tune``
    (``{"param": NAME, "values": [...]}``, a single model). ``value`` is the combined
    :class:`~allegiance.validation.backtest.BacktestResult`; ``extra["warnings"]`` the
    reader's notes on mapped values."""
    import warnings

    from allegiance.io.deu import DeuValuesMapped, read_dataset_text
    from allegiance.io.deu_capability import OPTIONS, check_option
    from allegiance.models.registry import make_model
    from allegiance.validation.backtest import backtest_options, resolve_models, scored

    if as_of or variant:
        raise ValueError("a backtest scores the data set as recorded; as_of and variant do "
                         "not apply")
    opts = full_options("backtest", options)
    data = dataset if isinstance(dataset, Dataset) else Dataset.from_path(dataset)
    seed = 0 if seed is None else seed
    params = dict(params or {})
    names = resolve_models(model or "all")
    capability = opts["capability"]
    choices = list(OPTIONS) if capability.lower() == "all" else [check_option(capability)]
    if params and len(names) != 1:
        raise ValueError("--param needs a single --model")
    if params:
        make_model(names[0], **params)  # a bad parameter is the user's error: say so now
    tuned: tuple[str, list] | None = None
    if opts["tune"]:
        if len(names) != 1:
            raise ValueError("--tune needs a single --model")
        name, values = opts["tune"]["param"], list(opts["tune"]["values"])
        for value in values:
            make_model(names[0], **{**params, name: value})
        tuned = (name, values)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeuValuesMapped)
        datasets = {c: read_dataset_text(data.text, data.name, capability=c) for c in choices}
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if issubclass(w.category, DeuValuesMapped)))
    n_issues = len(scored(next(iter(datasets.values()))))
    n_runs = (len(names) + (0 if "mean" in names else 1)) if tuned is None else 1 + len(tuned[1])
    total, done = len(choices) * n_runs * n_issues, [0]

    def on_issue() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    combined = backtest_options(datasets, models=names, runs=opts["runs"], seed=seed,
                                n_boot=opts["bootstrap"],
                                params={names[0]: params} if params else {}, tuned=tuned,
                                on_issue=on_issue)
    combined.settings["dataset"] = Path(data.name).name
    analysis = Analysis("backtest", combined, lambda: json.loads(combined.to_json()))
    analysis.extra.update(warnings=notes, n_issues=n_issues)
    return analysis


def compute_power(scenario, *, model=None, params=None, options=None, seed=None, as_of=None,
                  variant=None, progress: Progress = None) -> Analysis:
    """Shapley-Shubik and Banzhaf indices of the capability-weighted game (``allegiance
    power``); no model: ``model`` and ``params`` must be empty."""
    from allegiance.coalitions.scenario_power import scenario_power

    opts = full_options("power", options)
    if model not in (None, "", "-") or params:
        raise ValueError("power indices take no model or model parameters")
    loaded = _scenario(scenario, variant, as_of)
    power = scenario_power(loaded, opts["quota"], issue=opts["issue"])
    if progress:
        progress(1, 1)
    return Analysis("power", power, power.to_dict, {"scenario": loaded})


def compute_levers(scenario, *, model=None, params=None, options=None, seed=None, as_of=None,
                   variant=None, progress: Progress = None) -> Analysis:
    """What would it take for a coalition to win, hold and draw the forecast (``allegiance
    levers``); options ``coalition`` (a named coalition or members ``a,b,c``), ``within``,
    ``levers``, ``budget``, ``tolerance``, ``quota``."""
    from allegiance.levers.analysis import levers

    opts = full_options("levers", options)
    loaded = _scenario(scenario)
    result = levers(loaded, opts["coalition"], model=model or "mean", as_of=as_of,
                    variant=variant, within=opts["within"], levers=opts["levers"],
                    budget=opts["budget"], tolerance=opts["tolerance"], quota=opts["quota"],
                    seed=seed, params=dict(params or {}))
    if progress:
        progress(1, 1)
    return Analysis("levers", result, result.to_dict, {"scenario": loaded})


ANALYSES: dict[str, Callable[..., Analysis]] = {
    "forecast": compute_forecast,
    "montecarlo": compute_montecarlo,
    "coalitions": compute_coalitions,
    "sensitivity": compute_sensitivity,
    "timeline": compute_timeline,
    "backtest": compute_backtest,
    "power": compute_power,
    "levers": compute_levers,
}


def analyse(kind: str, scenario, **inputs: Any) -> Analysis:
    """The :class:`Analysis` of ``kind`` (see :data:`ANALYSES`)."""
    if kind not in ANALYSES:
        raise ValueError(f"unknown run kind {kind!r} (known: {', '.join(ANALYSES)})")
    return ANALYSES[kind](scenario, **inputs)


def run_analysis(kind: str, scenario, *, model: str | None = None,
                 params: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
                 seed: int | None = None, as_of: str | None = None, variant: str | None = None,
                 progress: Progress = None) -> dict[str, Any]:
    """The JSON document of a run of ``kind`` (what ``allegiance KIND --format json`` prints)."""
    return analyse(kind, scenario, model=model, params=params, options=options, seed=seed,
                   as_of=as_of, variant=variant, progress=progress).document()


__all__ = ["ANALYSES", "Analysis", "DEFAULT_OPTIONS", "Dataset", "analyse", "full_options",
           "run_analysis"]
