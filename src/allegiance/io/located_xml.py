"""A hardened XML parser that keeps where each element starts, for located errors.

Built on defusedxml's ElementTree parser: document type declarations, entities and external
references are refused; the element count (``max-xml-elements``) and the nesting are bounded
while parsing, so a hostile file costs time linear in its size. Element names are read without
their namespace (a prefix must be declared, as XML namespaces require). Used by the KTAB XML
reader (:mod:`allegiance.io.ktab_xml`).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element as EtElement
from xml.etree.ElementTree import ParseError, TreeBuilder
from xml.parsers import expat

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import DefusedXMLParser

from allegiance.io.errors import ReadError, problem
from allegiance.scenario import limits

MAX_DEPTH = 32
MAX_ELEMENTS = limits.MAX_XML_ELEMENTS


class Element:
    """A parsed element: its local tag name, 1-based line and column, text and children."""

    __slots__ = ("_node", "_where", "tag", "line", "column")

    def __init__(self, node: EtElement, where: dict[EtElement, tuple[int, int]]) -> None:
        self._node, self._where = node, where
        self.tag = _local(node.tag)
        self.line, self.column = where[node]

    @property
    def text(self) -> str:
        """All the element's own character data (not its children's), stripped."""
        node = self._node
        if len(node):
            return ((node.text or "") + "".join(child.tail or "" for child in node)).strip()
        return (node.text or "").strip()

    @property
    def children(self) -> list[Element]:
        return [Element(child, self._where) for child in self._node]

    def all(self, tag: str) -> list[Element]:
        return [Element(child, self._where) for child in self._node if _local(child.tag) == tag]

    def first(self, tag: str) -> Element | None:
        for child in self._node:
            if _local(child.tag) == tag:
                return Element(child, self._where)
        return None


def _local(tag: str) -> str:
    """The tag without its namespace (ElementTree spells it ``{uri}name``)."""
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


class _Refused(Exception):
    pass


class _LocatingParser(DefusedXMLParser):
    """defusedxml's hardened ElementTree parser (no DTD, no entities, no external references)
    that also bounds the element count and nesting and records where each element starts."""

    def __init__(self) -> None:
        super().__init__(target=TreeBuilder(), forbid_dtd=True, forbid_entities=True,
                         forbid_external=True)
        self.where: dict[EtElement, tuple[int, int]] = {}
        self.depth = 0

    def _start(self, tag: str, attr_list: list[str]) -> EtElement:
        where, expat_parser = self.where, self.parser
        if len(where) >= MAX_ELEMENTS:
            raise _Refused(f"more than {MAX_ELEMENTS:,} elements (limit max-xml-elements)")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"elements nest deeper than {MAX_DEPTH} levels")
        node = super()._start(tag, attr_list)
        where[node] = (expat_parser.CurrentLineNumber, expat_parser.CurrentColumnNumber + 1)
        return node

    def _end(self, tag: str) -> EtElement:
        self.depth -= 1
        return super()._end(tag)


_REFUSALS = (
    (DTDForbidden, "document type declarations (DOCTYPE) are not allowed in a KTAB scenario"),
    (EntitiesForbidden, "entity declarations are not allowed"),
    (ExternalReferenceForbidden, "external entity references are not allowed"),
)


def parse_xml(text: str, file: str) -> Element:
    """Parse XML text into :class:`Element` nodes with 1-based line and column numbers."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise ReadError([problem("the file is empty", file=file)], source=file)
    parser = _LocatingParser()
    expat_parser = parser.parser  # kept: close() lets go of it

    def refused(message: str) -> ReadError:
        return ReadError([problem(message, file=file, line=expat_parser.CurrentLineNumber,
                                  column=expat_parser.CurrentColumnNumber + 1)], source=file)

    try:
        parser.feed(text)
        root = parser.close()
    except _Refused as exc:
        raise refused(str(exc)) from None
    except DefusedXmlException as exc:
        raise refused(next((message for kind, message in _REFUSALS if isinstance(exc, kind)),
                           "a forbidden XML construct")) from None
    except ParseError as exc:
        line, offset = exc.position
        raise ReadError([problem(f"not well-formed XML: {expat.ErrorString(exc.code)}",
                                 file=file, line=line, column=offset + 1)],
                        source=file) from None
    except RecursionError:
        raise ReadError([problem("the document nests too deeply", file=file)],
                        source=file) from None
    if root is None:
        raise ReadError([problem("no XML element found", file=file)], source=file)
    return Element(root, parser.where)
