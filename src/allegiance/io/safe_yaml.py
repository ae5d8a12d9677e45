"""Hostile-safe YAML reading: a YAML text as plain Python data, with the line and column of every
field.

The document is built straight from libyaml's event stream (PyYAML's C parser where it was built
with it), without PyYAML's node graph: that keeps reading linear in the input and several times
faster, and lets every limit be enforced while the document is read, before anything large is
built:

- only YAML's plain types are built (null, bool, int, float, str, timestamp, map, seq): any tag
  that would build an object, and merge keys (``<<``), are refused;
- nesting depth is bounded (``max-depth``);
- values are counted as they are read, each use of an alias counting its whole content
  (``max-nodes``): an alias bomb, or a document that contains itself, is refused at the alias that
  goes over, in microseconds;
- an impossible value (a date such as ``2014-02-30``) stays text, for the scenario's checks to
  report where it is.

Each value of the data is a fresh object (an alias gives a copy of its anchor's value). The
locations of an alias's parts are not copied: the map of locations sends a path inside an alias to
the same path inside its anchor, so an alias costs its copy and nothing more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allegiance.io.errors import ReadError, problem
from allegiance.scenario import limits

Location = tuple[int, int]
Path = tuple[Any, ...]

_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _PREFIX + "str"
_PLAIN_TAGS = frozenset(_PREFIX + name for name in
                        ("null", "bool", "int", "float", "str", "timestamp"))
_MAP_TAG = _PREFIX + "map"
_SEQ_TAG = _PREFIX + "seq"


def parse_yaml(text: str, file: str) -> tuple[Any, Locations]:
    """Parse YAML ``text`` safely; return the data and a map from each field's path to its
    (line, column), both 1-based. Every refusal is a :class:`ReadError` naming ``file``.

    >>> data, where = parse_yaml("id: x\\nissues: [a, 2]\\n", "f.yaml")
    >>> data, where[("issues", 1)]
    ({'id': 'x', 'issues': ['a', 2]}, (2, 13))
    """
    import yaml

    if "\x00" in text:
        raise ReadError([problem("this is a binary file, not YAML", file=file)])
    builder = _Builder(file)
    try:
        data = builder.document(yaml.parse(text, Loader=_loader_class()))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ReadError([problem(f"not valid YAML: {message}", file=file,
                                 line=mark.line + 1 if mark else None,
                                 column=mark.column + 1 if mark else None)]) from None
    except yaml.YAMLError as exc:
        raise ReadError([problem(f"not valid YAML: {exc}", file=file)]) from None
    return data, builder.where


def _loader_class():
    """libyaml's safe parser where PyYAML was built with it (several times faster), else the
    pure-Python one; both give the same events with the same marks."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Locations(dict):
    """Where each field was written: a dict from path to (line, column), in which a path inside a
    use of an alias finds the location of the same part of the alias's anchor."""

    def __init__(self) -> None:
        super().__init__()
        self.aliases: dict[Path, Path] = {}  # the path of a use of an alias -> its anchor's path

    def _resolve(self, path: Path) -> Path | None:
        while not dict.__contains__(self, path):
            for cut in range(len(path) - 1, -1, -1):
                anchor = self.aliases.get(path[:cut])
                if anchor is not None:
                    path = anchor + path[cut:]
                    break
            else:
                return None
        return path

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._resolve(path) is not None

    def __getitem__(self, path: Path) -> Location:
        found = self._resolve(path)
        if found is None:
            raise KeyError(path)
        return dict.__getitem__(self, found)

    def get(self, path: Path, default: Any = None) -> Any:
        found = self._resolve(path)
        return default if found is None else dict.__getitem__(self, found)


class _Anchored:
    """What an alias needs of its anchor's value: the value, how many values it counts for, how
    deep it nests, and the path it was written at."""

    __slots__ = ("value", "size", "height", "path")

    def __init__(self, value: Any, size: int, height: int, path: Path):
        self.value, self.size, self.height, self.path = value, size, height, path


def _fresh(value: Any) -> Any:
    """A copy of plain data: new maps and lists, the same (immutable) scalars."""
    if type(value) is dict:
        return {key: _fresh(item) for key, item in value.items()}
    if type(value) is list:
        return [_fresh(item) for item in value]
    return value


class _Builder:
    """Builds one document from the event stream, counting values and recording locations."""

    def __init__(self, file: str) -> None:
        import yaml

        self.file = file
        self.where = Locations()
        self.count = 0
        self.deepest = 0
        self.anchors: dict[str, _Anchored] = {}
        self.open_anchors: set[str] = set()
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()
        self.scalars: dict[tuple, Any] = {}  # (tag, text) -> value, for plain values
        self.tags: dict[tuple, str] = {}  # (text, implicit) -> resolved tag
        self.yaml = yaml

    # -- the stream --------------------------------------------------------------------------

    def document(self, events) -> Any:
        ev = self.yaml.events
        events = iter(events)
        next(events)  # StreamStartEvent
        event = next(events)
        if isinstance(event, ev.StreamEndEvent):
            raise ReadError([problem("the file is empty", file=self.file)])
        start = event  # DocumentStartEvent
        data = self.value(next(events), events, (), 0)
        next(events)  # DocumentEndEvent
        event = next(events)
        if not isinstance(event, ev.StreamEndEvent):
            raise self.yaml.composer.ComposerError(
                "expected a single document in the stream", start.start_mark,
                "but found another document", event.start_mark)
        return data

    # -- one value ----------------------------------------------------------------------------

    def value(self, event, events, path: Path, depth: int) -> Any:
        ev = self.yaml.events
        if isinstance(event, ev.AliasEvent):
            return self.alias(event, path, depth)
        self.count += 1
        if self.count > limits.MAX_NODES:
            raise self.too_many(event)
        if depth > limits.MAX_DEPTH:
            raise self.too_deep(event)
        self.deepest = max(self.deepest, depth)
        mark = event.start_mark
        self.place(path, (mark.line + 1, mark.column + 1))
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors or anchor in self.open_anchors:
                raise self.yaml.composer.ComposerError(
                    f"found duplicate anchor {anchor!r}", None, "second occurrence", mark)
            self.open_anchors.add(anchor)
            began = (self.count - 1, self.deepest)
            self.deepest = depth
        if isinstance(event, ev.ScalarEvent):
            result = self.scalar(event)
        elif isinstance(event, ev.MappingStartEvent):
            self.check_tag(event, _MAP_TAG)
            result = self.mapping(events, path, depth)
        else:
            self.check_tag(event, _SEQ_TAG)
            result = self.sequence(events, path, depth)
        if anchor is not None:
            count, deepest = began
            self.anchors[anchor] = _Anchored(result, self.count - count, self.deepest - depth, path)
            self.open_anchors.discard(anchor)
            self.deepest = max(deepest, self.deepest)
        return result

    def mapping(self, events, path: Path, depth: int) -> dict[str, Any]:
        ev = self.yaml.events
        result: dict[str, Any] = {}
        for key_event in events:
            if isinstance(key_event, ev.MappingEndEvent):
                return result
            key = self.key(key_event)
            mark = key_event.start_mark
            self.place((*path, key), (mark.line + 1, mark.column + 1))
            result[key] = self.value(next(events), events, (*path, key), depth + 1)
        return result  # pragma: no cover - the parser always ends a mapping

    def sequence(self, events, path: Path, depth: int) -> list[Any]:
        ev = self.yaml.events
        result: list[Any] = []
        for event in events:
            if isinstance(event, ev.SequenceEndEvent):
                return result
            result.append(self.value(event, events, (*path, len(result)), depth + 1))
        return result  # pragma: no cover - the parser always ends a sequence

    def key(self, event) -> str:
        ev = self.yaml.events
        mark = event.start_mark
        if isinstance(event, ev.AliasEvent):
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and not isinstance(anchored.value, dict | list):
                return str(anchored.value)
        if not isinstance(event, ev.ScalarEvent):
            raise ReadError([problem("mapping keys must be plain values", file=self.file,
                                     line=mark.line + 1, column=mark.column + 1)])
        key = self.scalar(event)
        if key == "<<":
            raise ReadError([problem("YAML merge keys (<<) are not supported", file=self.file,
                                     line=mark.line + 1, column=mark.column + 1)])
        return key if isinstance(key, str) else str(key)

    def scalar(self, event) -> Any:
        """A plain scalar's value; an impossible one (a date such as 2014-02-30) stays text."""
        text, tag = event.value, event.tag
        if tag is None or tag == "!":
            memo = (text, event.implicit)
            tag = self.tags.get(memo)
            if tag is None:
                tag = self.tags[memo] = self.resolver.resolve(
                    self.yaml.ScalarNode, text, event.implicit)
        if tag == _STR_TAG:  # most values: the text as written, nothing to construct
            return text
        if tag not in _PLAIN_TAGS:
            mark = event.start_mark
            raise ReadError([problem(f"refused: the tag {limits.excerpt(tag)} (only plain YAML "
                                     "values are allowed)", file=self.file, line=mark.line + 1,
                                     column=mark.column + 1)])
        memo = (tag, text)
        if memo in self.scalars:
            return self.scalars[memo]
        node = self.yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        try:
            value = self.constructor.yaml_constructors[tag](self.constructor, node)
        except Exception:  # noqa: BLE001 - PyYAML raises ValueError, OverflowError, TypeError...
            value = text
        if isinstance(value, dt.datetime):
            value = value.date()
        self.scalars[memo] = value
        return value

    def alias(self, event, path: Path, depth: int) -> Any:
        name = event.anchor
        mark = event.start_mark
        anchored = self.anchors.get(name)
        if anchored is None:
            if name in self.open_anchors:  # a document that contains itself: no finite size
                raise self.too_many(event)
            raise self.yaml.composer.ComposerError(
                None, None, f"found undefined alias {name!r}", mark)
        self.count += anchored.size
        if self.count > limits.MAX_NODES:
            raise self.too_many(event)
        if depth + anchored.height > limits.MAX_DEPTH:
            raise self.too_deep(event)
        self.deepest = max(self.deepest, depth + anchored.height)
        self.where.aliases.setdefault(path, anchored.path)  # a key given twice: the first
        return _fresh(anchored.value)

    # -- bookkeeping ----------------------------------------------------------------------------

    def place(self, path: Path, location: Location) -> None:
        self.where.setdefault(path, location)

    def check_tag(self, event, expected: str) -> None:
        tag = event.tag
        if tag is not None and tag != "!" and tag != expected:
            mark = event.start_mark
            raise ReadError([problem(f"refused: the tag {limits.excerpt(tag)} (only plain YAML "
                                     "values are allowed)", file=self.file, line=mark.line + 1,
                                     column=mark.column + 1)])

    def too_many(self, event) -> ReadError:
        return ReadError([problem(f"the document has more than {limits.MAX_NODES:,} values "
                                  "(counting each use of an alias); refusing to read it (limit "
                                  "max-nodes)", file=self.file,
                                  line=event.start_mark.line + 1)])

    def too_deep(self, event) -> ReadError:
        mark = event.start_mark
        return ReadError([problem(f"the document nests deeper than {limits.MAX_DEPTH} levels "
                                  "(limit max-depth)", file=self.file, line=mark.line + 1,
                                  column=mark.column + 1)])
