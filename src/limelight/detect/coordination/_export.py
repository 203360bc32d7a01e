"""Write an edge table as CSV, GEXF or GraphML, chosen by the file's extension.

Analysts open these in Gephi, igraph, networkx or a spreadsheet. Every edge column is
kept: ``source, target, weight`` first (the order Gephi's CSV import expects), then the
rest, including columns added later (expected weight, p-value). In GEXF and GraphML the
nodes are the account ids, the graph is undirected, ``weight`` is the edge weight Gephi
reads, and the other columns become typed edge attributes; times are written in ISO 8601
and lists (the example items) as JSON arrays, so nothing is lost to a separator.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from limelight.errors import InputError

__all__ = ["EDGE_FORMATS", "write_edges"]

#: File extensions write_edges understands, and the format each selects.
EDGE_FORMATS: dict[str, str] = {".csv": "csv", ".gexf": "gexf", ".graphml": "graphml"}

_FIRST = ("source", "target", "weight")


def _columns(table: pa.Table) -> list[str]:
    missing = [c for c in _FIRST if c not in table.column_names]
    if missing:
        raise InputError(f"an edge table needs the column(s) {', '.join(missing)}")
    return [*_FIRST, *(c for c in table.column_names if c not in _FIRST)]


def _text(value: Any) -> str:
    """One cell as text: ISO times, JSON lists, plain numbers, empty for null."""
    if value is None:
        return ""
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(table: pa.Table, names: list[str]) -> Iterator[list[Any]]:
    for batch in table.select(names).to_batches(max_chunksize=10_000):
        columns = [col.to_pylist() for col in batch.columns]
        yield from (list(row) for row in zip(*columns, strict=True))


def _kind(dtype: pa.DataType) -> tuple[str, str]:
    """(GraphML attr.type, GEXF type) of an Arrow column type."""
    if pa.types.is_boolean(dtype):
        return "boolean", "boolean"
    if pa.types.is_integer(dtype):
        return "long", "long"
    if pa.types.is_floating(dtype):
        return "double", "double"
    return "string", "string"


def write_edges(table: pa.Table, path: str | Path, *, description: str = "") -> str:
    """Write ``table`` to ``path`` in the format its extension names; return the format.

    ``description`` goes into the GEXF meta block and a GraphML comment (e.g. the
    behaviour, window and minimum weight), so a file says how it was made.
    """
    target = Path(path)
    fmt = EDGE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{target}: unknown edge file type {target.suffix or '(none)'!r}; "
            f"end the name with {', '.join(EDGE_FORMATS)}"
        )
    names = _columns(table)
    if fmt == "csv":
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            for row in _rows(table, names):
                writer.writerow([_text(v) for v in row])
        return fmt
    root = _gexf(table, names, description) if fmt == "gexf" else _graphml(table, names)
    tree = ET.ElementTree(root)
    ET.indent(tree, space=" ")
    with target.open("wb") as handle:
        handle.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        if fmt == "graphml" and description:
            handle.write(f"<!-- {description.replace('--', '-')} -->\n".encode())
        tree.write(handle, encoding="utf-8", xml_declaration=False)
        handle.write(b"\n")
    return fmt


def _nodes(table: pa.Table) -> list[str]:
    seen = dict.fromkeys(table.column("source").to_pylist())
    seen.update(dict.fromkeys(table.column("target").to_pylist()))
    return sorted(n for n in seen if n is not None)


def _gexf(table: pa.Table, names: list[str], description: str) -> ET.Element:
    ns = "http://gexf.net/1.3"
    root = ET.Element("gexf", {"xmlns": ns, "version": "1.3"})
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "limelight"
    ET.SubElement(meta, "description").text = description or "co-action network"
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "undirected", "mode": "static"})
    extra = names[3:]
    attributes = ET.SubElement(graph, "attributes", {"class": "edge"})
    for i, name in enumerate(extra):
        gexf_type = _kind(table.schema.field(name).type)[1]
        ET.SubElement(attributes, "attribute", {"id": str(i), "title": name, "type": gexf_type})
    nodes = ET.SubElement(graph, "nodes")
    for node in _nodes(table):
        ET.SubElement(nodes, "node", {"id": node, "label": node})
    edges = ET.SubElement(graph, "edges")
    for n, row in enumerate(_rows(table, names)):
        edge = ET.SubElement(
            edges,
            "edge",
            {"id": str(n), "source": row[0], "target": row[1], "weight": _text(row[2])},
        )
        values = ET.SubElement(edge, "attvalues")
        for i, value in enumerate(row[3:]):
            if value is not None:
                ET.SubElement(values, "attvalue", {"for": str(i), "value": _text(value)})
    return root


def _graphml(table: pa.Table, names: list[str]) -> ET.Element:
    root = ET.Element("graphml", {"xmlns": "http://graphml.graphdrawing.org/xmlns"})
    ET.SubElement(
        root, "key", {"id": "label", "for": "node", "attr.name": "label", "attr.type": "string"}
    )
    for name in names[2:]:
        kind = "double" if name == "weight" else _kind(table.schema.field(name).type)[0]
        ET.SubElement(
            root, "key", {"id": name, "for": "edge", "attr.name": name, "attr.type": kind}
        )
    graph = ET.SubElement(root, "graph", {"id": "G", "edgedefault": "undirected"})
    for node in _nodes(table):
        element = ET.SubElement(graph, "node", {"id": node})
        ET.SubElement(element, "data", {"key": "label"}).text = node
    for row in _rows(table, names):
        edge = ET.SubElement(graph, "edge", {"source": row[0], "target": row[1]})
        for name, value in zip(names[2:], row[2:], strict=True):
            if value is not None:
                ET.SubElement(edge, "data", {"key": name}).text = _text(value)
    return root
