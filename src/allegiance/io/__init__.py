"""Reading and writing scenarios: the native YAML format and every peer's format.

Formats are registered in :data:`FORMATS`; each has a ``read(path, text) -> Scenario`` (or a
``read_located(path, text)``, which also says where each field came from), a
``write(scenario) -> str`` and a ``detect(path, text) -> bool``. :func:`load_scenario` accepts a
built-in scenario name, a YAML file or any importable file (the format is detected from the file's
name and content, or given as ``input_format``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from importlib.resources import files
from pathlib import Path

from allegiance.io.bulk import collector_paused
from allegiance.io.errors import ReadError, problem
from allegiance.io.filesystem import read_text, write_atomic
from allegiance.io.yaml_format import locate, validate_yaml
from allegiance.scenario import limits
from allegiance.scenario.checks import unsourced_warnings
from allegiance.scenario.model import Problem, Scenario, ScenarioInvalid

DEFAULT_SCENARIO = "syria-2014"


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    #: module in allegiance.io with read(path, text) or read_located(path, text),
    #: write(scenario), detect(path, text)
    module: str
    suffixes: tuple[str, ...]

    def _module(self):
        return import_module(f"allegiance.io.{self.module}")

    @property
    def read_located(self) -> Callable[[Path, str], tuple[Scenario, dict]] | None:
        """The module's ``read_located`` (the scenario and where each field came from), or None
        for a format that reads the scenario alone."""
        return getattr(self._module(), "read_located", None)

    @property
    def read(self) -> Callable[[Path, str], Scenario]:
        """The format's reader: its ``read``, or the scenario of its ``read_located``."""
        located = self.read_located
        if located is not None:
            return lambda path, text: located(path, text)[0]
        return self._module().read

    @property
    def write(self) -> Callable[[Scenario], str]:
        return self._module().write

    @property
    def detect(self) -> Callable[[Path, str], bool]:
        return self._module().detect


FORMATS: dict[str, Format] = {
    "yaml": Format("yaml", "Allegiance native YAML", "yaml_format", (".yaml", ".yml")),
    "bdm-csv": Format("bdm-csv", "BDM-style CSV: Actor,Capability,Position,Salience", "bdm_csv",
                      (".csv",)),
    "ktab-csv": Format("ktab-csv", "KTAB SMP CSV (name row, header, Actor,Description,Power,"
                       "Position/Salience pairs)", "ktab", (".csv",)),
    "ktab-xml": Format("ktab-xml", "KTAB SMP XML scenario (with model parameters and seed)",
                       "ktab_xml", (".xml",)),
    "decide": Format("decide", "decide exchange-model text/CSV with #A/#P/#M/#D rows", "decide",
                     (".txt", ".csv")),
    "deu": Format("deu", "DEU legislative decisions data set (tab-separated; one scenario per "
                  "issue)", "deu", (".tsv", ".txt", ".csv")),
}

#: formats whose files hold many scenarios (imported into a folder, one file per scenario)
DATASET_FORMATS = ("deu",)


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names mapped to their package files."""
    folder = files("allegiance") / "data" / "scenarios"
    return {
        Path(str(entry)).stem: Path(str(entry))
        for entry in folder.iterdir()
        if str(entry).endswith(".yaml")
    }


def detect_format(path: Path, text: str) -> str:
    """The name of the format of ``path``: the first whose content test passes among the formats
    that use its suffix, else among the peer formats whatever the suffix (a decide file saved as
    ``.tsv``, a KTAB CSV as ``.txt``), else YAML for ``.yaml``, ``.yml`` or no suffix."""
    suffix = path.suffix.lower()
    order = ("decide", "deu", "ktab-xml", "ktab-csv", "bdm-csv", "yaml")
    by_suffix = [name for name in order if suffix in FORMATS[name].suffixes]
    by_content = [name for name in order[:-1] if name not in by_suffix]
    for name in by_suffix + by_content:
        try:
            if FORMATS[name].detect(path, text):
                return name
        except ModuleNotFoundError:
            continue
    if suffix in (".yaml", ".yml", ""):
        return "yaml"
    known = ", ".join(FORMATS)
    raise ReadError([problem(f"cannot tell the format of this file (known formats: {known}); "
                             "name it with --input-format", file=str(path))])


def resolve(source: str | Path) -> Path:
    """A built-in name or a path, as a path; a clear error when neither."""
    text = str(source)
    builtins = builtin_scenarios()
    if text in builtins and not Path(text).exists():
        return builtins[text]
    path = Path(text)
    if not path.exists():
        names = ", ".join(sorted(builtins))
        raise ReadError([problem(f"no such file, and not a built-in scenario (built-ins: {names})",
                                 file=text)])
    if path.is_dir():
        raise ReadError([problem("this is a folder, not a scenario file", file=text)])
    return path


@collector_paused()
def load_scenario(source: str | Path = DEFAULT_SCENARIO, input_format: str | None = None
                  ) -> Scenario:
    """Load a scenario from a built-in name, a YAML file or any importable peer file.

    Raises :class:`~allegiance.io.errors.ReadError` (a ``ScenarioInvalid``) listing every problem,
    each with file, line and column where known.

    >>> load_scenario("eu-emissions-1994").actors[0].id
    'netherlands'
    """
    if isinstance(source, Scenario):
        return source
    path = resolve(source)
    text = read_text(path)
    name = input_format or detect_format(path, text)
    if name not in FORMATS:
        raise ReadError([problem(f"unknown input format {name!r} (known: {', '.join(FORMATS)})",
                                 file=str(path))])
    try:
        return FORMATS[name].read(path, text)
    except ScenarioInvalid as exc:
        raise _with_file(exc, path) from None


def _with_file(exc: ScenarioInvalid, path: Path) -> ReadError:
    """``exc`` as a :class:`ReadError` whose every problem names ``path`` (unless it names its own
    file)."""
    if isinstance(exc, ReadError):
        return exc
    return ReadError([p if p.file else p.model_copy(update={"file": str(path)})
                      for p in exc.problems], source=str(path))


@collector_paused()
def validate_file(source: str | Path, input_format: str | None = None) -> list[Problem]:
    """Every problem (errors and warnings) of a scenario file, located where possible."""
    try:
        path = resolve(source)
        text = read_text(path)
        name = input_format or detect_format(path, text)
    except ScenarioInvalid as exc:
        return exc.problems
    if name == "yaml":
        return validate_yaml(path)
    if name not in FORMATS:
        return load_problems(path, name)
    located = FORMATS[name].read_located
    try:
        if located is not None:  # the file is read once, and its warnings located
            scenario, where = located(path, text)
            return [*scenario.derived.get("read_warnings", []),
                    *locate(unsourced_warnings(scenario), where, str(path))]
        scenario = load_scenario(path, name)
    except ScenarioInvalid as exc:
        return _with_file(exc, path).problems
    return [p.model_copy(update={"file": str(path)}) for p in unsourced_warnings(scenario)]


def load_problems(path: Path, name: str) -> list[Problem]:
    """The problems :func:`load_scenario` reports for ``path`` read as format ``name``."""
    try:
        load_scenario(path, name)
    except ScenarioInvalid as exc:
        return exc.problems
    return []


def export_scenario(scenario: Scenario, to: str, **options) -> str:
    """The scenario written in format ``to`` (a name in :data:`FORMATS`); ``options`` go to the
    format's writer (e.g. ``issue=`` for the single-issue BDM CSV)."""
    if to not in FORMATS or to in DATASET_FORMATS:
        known = ", ".join(f for f in FORMATS if f not in DATASET_FORMATS)
        raise ValueError(f"unknown export format {to!r}; known: {known}")
    return FORMATS[to].write(scenario, **options)


def save_scenario(scenario: Scenario, path: str | Path, to: str = "yaml") -> None:
    """Write the scenario to ``path`` in format ``to``, atomically."""
    write_atomic(path, export_scenario(scenario, to))


@collector_paused()
def load_dataset(source: str | Path, input_format: str | None = None, **options) -> list[Scenario]:
    """Every scenario of a data-set file (e.g. DEU: one per issue); a scenario file gives one."""
    path = resolve(source)
    text = read_text(path, limits.MAX_DATASET_BYTES)
    name = input_format or detect_format(path, text)
    if name == "deu":
        from allegiance.io.deu import read_dataset_text

        return read_dataset_text(text, str(path), **options)
    return [load_scenario(path, name)]


__all__ = [
    "DATASET_FORMATS",
    "DEFAULT_SCENARIO",
    "FORMATS",
    "ReadError",
    "builtin_scenarios",
    "detect_format",
    "export_scenario",
    "load_dataset",
    "load_scenario",
    "save_scenario",
    "validate_file",
]
