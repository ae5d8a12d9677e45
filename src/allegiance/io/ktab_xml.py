"""KTAB SMP XML scenarios (``smpc --xml``): actors, dimensions, model parameters, seed and the
ideal-accommodation matrix.

Elements read (root ``<Scenario>``)::

    <name>, <desc>, <prngSeed>
    <ModelParameters>  (optional) VictoryProbModel, PCEModel, StateTransitions, VotingRule,
                       BigRAdjust, BigRRange, ThirdPartyCommit, InterVecBrgn, BargnModel
    <Dimensions><dName>...</dName>...</Dimensions>
    <Actors><Actor><name/><description/><capability/>
                   <Position><dCoord/>...</Position><Salience><dSal/>...</Salience></Actor>...
    <IdealAdjustment><iaPair><adjustingIdeal/><referencePos/><adjust/></iaPair>...  (optional)

How it maps onto a :class:`~allegiance.scenario.model.Scenario`:

- as the KTAB CSV (:mod:`allegiance.io.ktab`): ``id`` = slugified name, ``title``, ``description``;
  one issue per ``dName`` on ``[0, 100]``; actors with ``capability``, positions (0–100) and
  saliences (0–100 divided by 100);
- ``<prngSeed>`` -> ``scenario.seed`` (an unsigned 64-bit integer);
- ``<ModelParameters>`` -> ``scenario.model_parameters["smp"]`` with snake_case keys
  (``VictoryProbModel`` -> ``victory_prob_model``, ``PCEModel`` -> ``pce_model``, ...: see
  :data:`PARAMETERS`) and values spelled as KTAB spells them (``"Linear"``, ``"MarkovIncentive"``);
  an unknown value is an error that lists the known ones;
- ``<IdealAdjustment>`` -> ``scenario.model_parameters["smp"]["accommodation"]``: the full
  ``n_actors × n_actors`` matrix as nested lists, rows in actor order — the identity (KTAB's
  default) overlaid with each ``iaPair`` (row = adjusting actor, column = reference actor).

Parsed by :func:`allegiance.io.located_xml.parse_xml` (defusedxml's hardened parser, bounded, with
line and column for every element). Every problem — malformed XML, missing or empty
elements (such as the empty ``<dCoord>`` KTAB ships in ``smpExample.xml``), non-numbers, counts
that do not match the dimensions, unknown actor names — is reported at once with file, line and
column. A KTAB reform-priority scenario (``reformpri.xsd``: ``<govBudget>``, ``<Items>``) is
refused as such, in one message.

Writing (:func:`write`) is lossless for scenarios read from this format (the seed is written
zero-padded to 20 digits as KTAB does; the accommodation matrix as the ``iaPair`` entries that
differ from the identity). From other scenarios: a missing seed is written as KTAB's default seed
15455440707583219804 (KTAB requires one); positions on another scale are mapped linearly onto
0–100; absent stances are written as position 50, salience 0; ``<ModelParameters>`` is written
only when ``model_parameters["smp"]`` names one of the nine parameters (the others then get
KTAB's defaults); per-issue capabilities, ranges, sources, notes, history, coalitions and
variants are not written.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from allegiance.io.ktab import ktab_matrix
from allegiance.io.ktab_options import OPTIONS as SMP_OPTIONS
from allegiance.io.ktab_options import names
from allegiance.io.located_xml import Element, parse_xml
from allegiance.io.tabular import (
    MAX_ROWS,
    Cell,
    Collector,
    Location,
    build_scenario,
    format_number,
    slugify,
    unique_slugs,
)
from allegiance.scenario.model import Scenario

#: KTAB's XML tag -> (model_parameters key, accepted values, KTAB default), from the SMP package
PARAMETERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    tag: (parameter, names(option), default)
    for tag, (parameter, option, default) in SMP_OPTIONS.items()
}
DEFAULT_SEED = 15455440707583219804
def detect(path: Path, text: str) -> bool:
    """An XML document whose root element is ``<Scenario>`` with KTAB's ``<Actors>``."""
    head = text[:4096].lstrip("\ufeff \t\r\n")
    return head.startswith("<") and re.search(r"<Scenario[\s>]", head) is not None and (
        "<Actors" in text[:1_000_000] or "<Dimensions" in text[:1_000_000])


def read_located(path: Path, text: str) -> tuple[Scenario, dict[tuple, Location]]:
    """Read a KTAB SMP XML scenario (mapping above), with the
    (line, column) of each field."""
    file = str(path)
    root = parse_xml(text, file)
    errors = Collector(file)
    if root.tag != "Scenario":
        errors.add(f"the root element is <{root.tag}>; a KTAB scenario's root is <Scenario>",
                   root.line, root.column)
        errors.raise_if_any()
    if root.first("Dimensions") is None and (root.first("Items") is not None
                                             or root.first("govBudget") is not None):
        errors.add("this is a KTAB reform-priority scenario (<govBudget>, <Items>), which "
                   "Allegiance does not read; KTAB's SMP scenarios (<Dimensions>, actors with "
                   "<Position> and <Salience>) are read", root.line, root.column)
        errors.raise_if_any()

    def need(parent: Element, tag: str, context: str) -> Element | None:
        child = parent.first(tag)
        if child is None:
            errors.add(f"missing <{tag}> in {context}", parent.line, parent.column)
        return child

    def text_of(parent: Element, tag: str, context: str, required: bool = True) -> str:
        child = parent.first(tag) if not required else need(parent, tag, context)
        if child is None:
            return ""
        if required and not child.text:
            errors.add(f"<{tag}> in {context} is empty", child.line, child.column)
        return child.text

    def number(element: Element, what: str, path: tuple = (), **bounds: float) -> float | None:
        if not element.text:
            errors.add(f"{what}: <{element.tag}> is empty (expected a number)", element.line,
                       element.column, path)
            return None
        return errors.number(Cell(element.text, element.column), element.line, what,
                             path=path, **bounds)

    name = text_of(root, "name", "<Scenario>", required=False)
    description = text_of(root, "desc", "<Scenario>", required=False)

    seed: int | None = None
    seed_el = root.first("prngSeed")
    if seed_el is not None:
        if re.fullmatch(r"\d{1,20}", seed_el.text) and int(seed_el.text) < 2**64:
            seed = int(seed_el.text)
        else:
            errors.add(f"<prngSeed>: {seed_el.text!r} is not an unsigned 64-bit integer",
                       seed_el.line, seed_el.column)

    smp: dict[str, Any] = {}
    params_el = root.first("ModelParameters")
    if params_el is not None:
        for tag, (key, allowed, _default) in PARAMETERS.items():
            element = need(params_el, tag, "<ModelParameters>")
            if element is None:
                continue
            if element.text not in allowed:
                errors.add(f"<{tag}>: {element.text!r} is not one of {', '.join(allowed)}",
                           element.line, element.column)
            else:
                smp[key] = element.text
        for element in params_el.children:
            if element.tag not in PARAMETERS:
                errors.add(f"unknown model parameter <{element.tag}> (known: "
                           f"{', '.join(PARAMETERS)})", element.line, element.column)

    dims_el = need(root, "Dimensions", "<Scenario>")
    dim_names: list[str] = []
    if dims_el is not None:
        for element in dims_el.all("dName"):
            if not element.text:
                errors.add("<dName> is empty (each dimension needs a name)", element.line,
                           element.column)
            dim_names.append(element.text)
        if not dim_names:
            errors.add("<Dimensions> has no <dName>", dims_el.line, dims_el.column)
    n_dims = len(dim_names)
    issue_ids = unique_slugs(dim_names, fallback="dimension")

    actors_el = need(root, "Actors", "<Scenario>")
    actor_els = actors_el.all("Actor") if actors_el is not None else []
    if actors_el is not None and not actor_els:
        errors.add("<Actors> has no <Actor>", actors_el.line, actors_el.column)
    if len(actor_els) > MAX_ROWS:
        errors.add(f"{len(actor_els):,} actors; the limit is {MAX_ROWS:,}", actors_el.line,
                   actors_el.column)
        errors.raise_if_any()

    actors: list[dict[str, Any]] = []
    where: dict[tuple, Location] = {}
    if dims_el is not None:
        for d, element in enumerate(dims_el.all("dName")):
            where[("issues", d)] = (element.line, element.column)
    for a, actor_el in enumerate(actor_els):
        actor_name = text_of(actor_el, "name", f"actor {a + 1}")
        label = f"actor {actor_name!r}" if actor_name else f"actor {a + 1}"
        desc_el = actor_el.first("description")
        cap_el = need(actor_el, "capability", label)
        capability = number(cap_el, f"{label} capability", ("actors", a, "capability"),
                            minimum=0) if cap_el is not None else None
        stances: dict[str, Any] = {}
        values: dict[str, list[float | None]] = {}
        for group, tag, what, scale in (("Position", "dCoord", "position", 1.0),
                                        ("Salience", "dSal", "salience", 100.0)):
            group_el = need(actor_el, group, label)
            if group_el is None:
                continue
            items = group_el.all(tag)
            if len(items) != n_dims and n_dims:
                errors.add(f"{label}: <{group}> has {len(items)} <{tag}> but there are {n_dims} "
                           "dimensions", group_el.line, group_el.column)
            got: list[float | None] = []
            for d, item in enumerate(items[:n_dims]):
                dim = dim_names[d] or f"dimension {d + 1}"
                got.append(number(item, f"{label} {what} on {dim!r}",
                                  ("actors", a, "issues", issue_ids[d], what),
                                  minimum=0, maximum=100))
                where[("actors", a, "issues", issue_ids[d], what)] = (item.line, item.column)
            values[what] = [v if v is None or scale == 1.0 else round(v / scale, 12)
                            for v in got]
        for d in range(min(len(values.get("position", [])), len(values.get("salience", [])))):
            position, salience = values["position"][d], values["salience"][d]
            if position is not None and salience is not None:
                stances[issue_ids[d]] = {"position": position, "salience": salience}
        where[("actors", a)] = (actor_el.line, actor_el.column)
        name_el = actor_el.first("name")
        if name_el is not None:
            where[("actors", a, "id")] = where[("actors", a, "name")] = (name_el.line,
                                                                         name_el.column)
        if cap_el is not None:
            where[("actors", a, "capability")] = (cap_el.line, cap_el.column)
        actors.append({"name": actor_name,
                       "description": desc_el.text if desc_el is not None else "",
                       "capability": capability, "issues": stances})

    adjust_el = root.first("IdealAdjustment")
    if adjust_el is not None:
        names = [actor["name"] for actor in actors]
        n = len(names)
        matrix = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
        for pair in adjust_el.all("iaPair"):
            indices = []
            for tag in ("adjustingIdeal", "referencePos"):
                who = text_of(pair, tag, "<iaPair>")
                if who and who not in names:
                    element = pair.first(tag)
                    errors.add(f"<{tag}>: no actor named {who!r}", element.line, element.column)
                indices.append(names.index(who) if who in names else None)
            adjust = pair.first("adjust")
            if adjust is None:
                errors.add("missing <adjust> in <iaPair>", pair.line, pair.column)
                continue
            value = number(adjust, "<iaPair> adjust")
            if value is not None and None not in indices:
                matrix[indices[0]][indices[1]] = value
        smp["accommodation"] = matrix
    errors.raise_if_any()

    for actor, ident in zip(actors, unique_slugs([a["name"] for a in actors]), strict=True):
        actor["id"] = ident
    data: dict[str, Any] = {
        "id": slugify(name or path.stem, "scenario"),
        "title": name or path.stem or "KTAB scenario",
        "description": description,
        "issues": [{"id": issue_ids[d], "name": dim_names[d], "scale": [0.0, 100.0]}
                   for d in range(n_dims)],
        "actors": actors,
        "seed": seed,
    }
    if smp:
        data["model_parameters"] = {"smp": smp}
    return build_scenario(data, where, file), where


def _tag(name: str, value: Any, indent: int) -> str:
    return f"{' ' * indent}<{name}>{escape(str(value))}</{name}>\n"


def write(scenario: Scenario) -> str:
    """The scenario as a KTAB SMP XML document (see the module docstring for what is lost)."""
    smp = scenario.model_parameters.get("smp", {})
    seed = scenario.seed if scenario.seed is not None else DEFAULT_SEED
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<Scenario xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:noNamespaceSchemaLocation="smpSchema.xsd">\n',
           _tag("name", scenario.title, 2), _tag("desc", scenario.description, 2),
           _tag("prngSeed", str(seed).zfill(20), 2)]
    if any(key in smp for key, _, _ in PARAMETERS.values()):
        out.append("  <ModelParameters>\n")
        for tag, (key, _allowed, default) in PARAMETERS.items():
            out.append(_tag(tag, smp.get(key, default), 4))
        out.append("  </ModelParameters>\n")
    out.append("  <Dimensions>\n")
    out.extend(_tag("dName", issue.name, 4) for issue in scenario.issues)
    out.append("  </Dimensions>\n  <Actors>\n")
    for actor, pairs in ktab_matrix(scenario):
        out.append("    <Actor>\n")
        out.append(_tag("name", actor.name, 6))
        out.append(_tag("description", actor.description, 6))
        out.append(_tag("capability", format_number(actor.capability.value), 6))
        out.append("      <Position>\n")
        out.extend(_tag("dCoord", format_number(p), 8) for p, _ in pairs)
        out.append("      </Position>\n      <Salience>\n")
        out.extend(_tag("dSal", format_number(s), 8) for _, s in pairs)
        out.append("      </Salience>\n    </Actor>\n")
    out.append("  </Actors>\n")
    matrix = smp.get("accommodation")
    if isinstance(matrix, list) and len(matrix) == len(scenario.actors):
        out.append("  <IdealAdjustment>\n")
        for i, row in enumerate(matrix):
            for j, value in enumerate(row if isinstance(row, list) else []):
                if j < len(scenario.actors) and isinstance(value, int | float) and \
                        math.isfinite(value) and value != (1.0 if i == j else 0.0):
                    out.append("    <iaPair>\n")
                    out.append(_tag("adjustingIdeal", scenario.actors[i].name, 6))
                    out.append(_tag("referencePos", scenario.actors[j].name, 6))
                    out.append(_tag("adjust", format_number(value), 6))
                    out.append("    </iaPair>\n")
        out.append("  </IdealAdjustment>\n")
    out.append("</Scenario>\n")
    return "".join(out)
