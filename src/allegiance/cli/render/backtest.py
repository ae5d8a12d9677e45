"""The tables and lines the ``backtest`` command prints (and ``runs show`` for a stored
backtest): the summary table per model and capability option, and one line per model that
failed on some issues."""

from __future__ import annotations

from rich.table import Table

from allegiance.validation.scores import ModelSummary
from allegiance.validation.tables import fmt


def summary_table(summaries: list[ModelSummary], title: str) -> Table:
    """The backtest's scores, a row per model and capability option."""
    table = Table(title=title, title_justify="left")
    table.add_column("model", no_wrap=True)
    table.add_column("capability", no_wrap=True)
    for column in ("issues", "MAE", "med AE", "≤10", "vs mean [95% CI]", "PI50 cov", "PI80 cov",
                   "runs cov50", "runs cov80"):
        table.add_column(column, justify="right")
    for s in summaries:
        issues = f"{s.n_ok}" + (f" ({s.n_failed} failed)" if s.n_failed else "")
        if s.model == "mean" or not s.vs_mean_n:
            versus = "—" if s.model != "mean" else "(baseline)"
        else:
            versus = (f"{fmt(s.vs_mean, 2)} [{fmt(s.vs_mean_low, 2)}, "
                      f"{fmt(s.vs_mean_high, 2)}]")
        table.add_row(s.model, s.capability, issues, fmt(s.mae), fmt(s.median_ae),
                      fmt(s.within_10, percent=True), versus,
                      fmt(s.interval_coverage_50, percent=True),
                      fmt(s.interval_coverage_80, percent=True),
                      fmt(s.coverage_50, percent=True), fmt(s.coverage_80, percent=True))
    return table


def failure_lines(failures: list[dict], n_issues: int) -> list[str]:
    """One line per model and capability option that failed on any issue: how many issues,
    and the most common error."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for f in failures:
        grouped.setdefault((f["model"], str(f.get("capability") or "")), []).append(
            str(f["error"]))
    lines = []
    for (name, option), errors in grouped.items():
        common = max(set(errors), key=errors.count)
        where = f" ({option})" if option else ""
        lines.append(f"{name}{where}: failed on {len(errors)} of {n_issues} issues, e.g. "
                     f"{common}")
    return lines
