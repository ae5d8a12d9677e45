"""Allegiance's fuzzing harness: every reader, the validator, the models, JSON and the renderers
driven by malformed input (see docs/limits.md, "Fuzzing").

- :mod:`fuzz.targets`: one target per input path (native YAML, BDM CSV, KTAB CSV, KTAB XML,
  decide, DEU, and the render/JSON/round-trip path), each taking bytes and classifying them.
- :mod:`fuzz.mutate`: seeded mutations of the seed files (byte flips, truncation, duplicated or
  deleted lines and columns, huge fields, NaN/inf, unicode, BOM, CRLF, hostile YAML and XML).
- :mod:`fuzz.campaign`: ``make fuzz``: the long campaign, counting inputs, crashes, slow inputs
  and NaNs; ``--atheris`` adds coverage-guided fuzzing with atheris.
"""
