"""The limits that hold wherever input enters Allegiance (files, uploads, API bodies).

Each limit has a name; the error it gives names it, and ``docs/limits.md`` lists them all. They
keep every accepted input small enough to validate in well under two seconds and every number small
enough that the models' sums and products stay finite, so that a forecast is always a number or a
clear error. The values are generous for real analyses (KTAB's SMP takes at most 250 actors; the
DEU data sets have 28 member states and a few hundred proposals).
"""

from __future__ import annotations

#: largest magnitude of any number in a scenario (positions, scales, capabilities, ranges)
MAX_MAGNITUDE = 1e15
#: characters in one number written in a text file (``-1.2345e+15`` has 11)
MAX_NUMBER_CHARS = 64
#: actors in one scenario
MAX_ACTORS = 2_000
#: issues in one scenario
MAX_ISSUES = 500
#: stances (an actor's entry on one issue) in one scenario: 2,000 actors on 5 issues each
MAX_STANCES = 10_000
#: dated entries in one estimate's history
MAX_HISTORY = 500
#: sources, coalitions or variants in one scenario (each)
MAX_ITEMS = 5_000
#: characters in an id (actor, issue, source, coalition, variant, scenario)
MAX_ID_CHARS = 200
#: characters in a name, label or title
MAX_NAME_CHARS = 500
#: characters in a description or note
MAX_TEXT_CHARS = 20_000
#: bytes of one scenario file (any format): about 1,000 actors on five issues with ranges
MAX_FILE_BYTES = 1024 * 1024
#: bytes of one data-set file read as many scenarios (the whole DEU III file is about 0.1 MB)
MAX_DATASET_BYTES = 1024 * 1024
#: nesting depth of a YAML or JSON document
MAX_DEPTH = 64
#: YAML nodes in one document, counting every expansion of an alias
MAX_NODES = 400_000
#: XML elements in one KTAB file
MAX_XML_ELEMENTS = 200_000
#: characters of an offending value quoted in an error message
MAX_EXCERPT_CHARS = 40


def excerpt(text: str, limit: int = MAX_EXCERPT_CHARS) -> str:
    """``text`` quoted for an error message: at most ``limit`` characters, with its length when
    cut.

    >>> excerpt("12345678901234567890x" * 1000, 10)
    "'1234567890…' (21,000 characters)"
    >>> excerpt("fifteen")
    "'fifteen'"
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}"[:-1] + f"…' ({len(text):,} characters)"
