"""A picture of a job: local modules, distributions and the imports between them.

`job_graph` reduces an analysis to nodes (entry scripts, local modules, distributions) and
edges; the renderers write it as one self-contained HTML page (no network when viewed:
the data and the script are inline), as Graphviz dot or as Mermaid.
"""

from __future__ import annotations

import html
import json
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from jobpack.layout import sizes

if TYPE_CHECKING:
    from jobpack.analyzer.api import Analysis
    from jobpack.manifest import Requirement

COLOURS = {"entry": "#f4a261", "local": "#8ecae6", "distribution": "#b5e48c",
           "lazy-only": "#d9d9d9"}
_LOCAL_KINDS = {"entry", "local", "namespace"}


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str  # entry | local | distribution | lazy-only
    size: int | None  # bytes: the file, or the installed distribution
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    sites: tuple[str, ...]  # file:line of each import, or "requires" between distributions
    lazy: bool = False  # every import behind it is inside a function


def job_graph(analysis: Analysis) -> tuple[list[Node], list[Edge]]:
    """The job's nodes and edges, laid out in columns by import depth."""
    nodes = _nodes(analysis)
    edges, eager = _import_edges(analysis, nodes)
    for requirement in analysis.manifest.requirements:
        for parent in requirement.required_by:
            key = (_dist_id(parent), _dist_id(requirement.name))
            if ":" not in parent and key[0] in nodes and key not in edges:
                edges[key] = Edge(*key, sites=("requires",))
    for edge in edges.values():
        if edge.sites != ("requires",) and edge.target not in eager \
                and nodes[edge.target].kind != "entry":  # imported only inside functions
            nodes[edge.target] = replace(nodes[edge.target], kind="lazy-only")
    edge_list = [edges[key] for key in sorted(edges)]
    return _layout(list(nodes.values()), edge_list), edge_list


def _nodes(analysis: Analysis) -> dict[str, Node]:
    sizes = {f.path: f.size for f in analysis.manifest.local_files}
    dist_sizes = _distribution_sizes(analysis)
    nodes: dict[str, Node] = {}
    for module in analysis.graph:
        if module.kind in _LOCAL_KINDS:
            kind = "entry" if module.kind == "entry" else "local"
            nodes[module.name] = Node(module.name, module.name, kind,
                                      sizes.get(module.path or ""))
    for requirement in analysis.manifest.requirements:
        nodes[_dist_id(requirement.name)] = Node(
            _dist_id(requirement.name), f"{requirement.name} {requirement.version}".strip(),
            "distribution", dist_sizes.get(requirement.name))
    return nodes


def _import_edges(analysis: Analysis, nodes: dict[str, Node]
                  ) -> tuple[dict[tuple[str, str], Edge], set[str]]:
    """Edges from local modules to what they import (a distribution for an external
    module), and the nodes imported at least once outside a function."""
    graph = analysis.graph
    owner = _owners(analysis.manifest.requirements)
    edges: dict[tuple[str, str], Edge] = {}
    eager: set[str] = set()
    for module in graph:
        if module.name not in nodes:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(module.name)):
            target = imported if imported in nodes else owner(imported)
            if target is None or target == module.name:
                continue
            sites = graph.get_import_sites(module.name, imported)
            lazy = all(site.lazy for site in sites)
            if not lazy:
                eager.add(target)
            before = edges.get((module.name, target))
            rendered = {site.render() for site in sites} | set(before.sites if before else ())
            edges[(module.name, target)] = Edge(
                module.name, target, tuple(sorted(rendered)),
                lazy=lazy and (before is None or before.lazy))
    return edges, eager


def _dist_id(name: str) -> str:
    return f"dist:{name}"


def _owners(requirements: tuple[Requirement, ...]) -> Callable[[str], str | None]:
    """A function: an external module's name -> the node of the distribution providing it."""
    by_import: dict[str, str] = {}
    for requirement in requirements:
        for name in requirement.imported_as:
            by_import[name] = _dist_id(requirement.name)

    def owner(module: str) -> str | None:
        parts = module.split(".")
        for depth in range(len(parts), 0, -1):
            found = by_import.get(".".join(parts[:depth]))
            if found is not None:
                return found
        return None

    return owner


def _distribution_sizes(analysis: Analysis) -> dict[str, int]:
    """Installed size of each pinned distribution, from its RECORD."""
    if analysis.environment is None:
        return {}
    import importlib_metadata as metadata
    from packaging.utils import canonicalize_name

    wanted = {r.name for r in analysis.manifest.requirements}
    paths = [str(p) for p in analysis.environment.distribution_paths]
    sizes: dict[str, int] = {}
    for dist in metadata.distributions(path=paths):
        name = canonicalize_name(dist.metadata["Name"] or "")
        if name in wanted and name not in sizes:
            sizes[name] = sum(f.size or 0 for f in dist.files or ())
    return sizes


def _layout(nodes: list[Node], edges: list[Edge]) -> list[Node]:
    """Columns by shortest import depth from the entry points; rows by kind, then name."""
    following: dict[str, list[str]] = {}
    for edge in edges:
        following.setdefault(edge.source, []).append(edge.target)
    depth = {n.id: 0 for n in nodes if n.kind == "entry"}
    queue = deque(depth)
    while queue:
        current = queue.popleft()
        for nxt in following.get(current, []):
            if nxt not in depth:
                depth[nxt] = depth[current] + 1
                queue.append(nxt)
    order = list(COLOURS)
    rows: dict[int, int] = {}
    placed = []
    for node in sorted(nodes, key=lambda n: (depth.get(n.id, 0), order.index(n.kind), n.label)):
        column = depth.get(node.id, 0)
        row = rows.get(column, 0)
        rows[column] = row + 1
        placed.append(replace(node, x=20 + column * 260, y=60 + row * 56))
    return placed


def render_graph(analysis: Analysis, fmt: str) -> str:
    """The job's graph as `html`, `dot` or `mermaid` text."""
    nodes, edges = job_graph(analysis)
    if fmt == "dot":
        return to_dot(nodes, edges)
    if fmt == "mermaid":
        return to_mermaid(nodes, edges)
    from jobpack.report import first_line

    title = ", ".join(analysis.manifest.entry_points) or "job"
    return to_html(nodes, edges, title, first_line(analysis))


def human_size(size: int | None) -> str:
    return "" if size is None else sizes.human_size(size)


def to_dot(nodes: list[Node], edges: list[Edge]) -> str:
    lines = ["digraph job {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled"];']
    for node in nodes:
        label = node.label + (f"\n{human_size(node.size)}" if node.size is not None else "")
        lines.append(f"  {json.dumps(node.id)} [label={json.dumps(label)}, "
                     f"fillcolor={json.dumps(COLOURS[node.kind])}];")
    lines += [f"  {json.dumps(e.source)} -> {json.dumps(e.target)}"
              + (" [style=dashed];" if e.lazy else ";") for e in edges]
    return "\n".join([*lines, "}"]) + "\n"


def to_mermaid(nodes: list[Node], edges: list[Edge]) -> str:
    ids = {node.id: f"n{number}" for number, node in enumerate(nodes)}
    lines = ["graph LR"]
    for node in nodes:
        size = f"<br/>{human_size(node.size)}" if node.size is not None else ""
        text = html.escape(node.label, quote=True).replace("&quot;", "#quot;")
        lines.append(f'  {ids[node.id]}["{text}{size}"]:::{node.kind.replace("-", "_")}')
    lines += [f"  {ids[e.source]} {'-.->' if e.lazy else '-->'} {ids[e.target]}" for e in edges]
    lines += [f"  classDef {kind.replace('-', '_')} fill:{colour}"
              for kind, colour in COLOURS.items()]
    return "\n".join(lines) + "\n"


def to_html(nodes: list[Node], edges: list[Edge], title: str, subtitle: str = "") -> str:
    """One page, everything inline: the data as JSON, a small script that draws it as SVG."""
    data = {"nodes": [asdict(n) | {"sizeText": human_size(n.size)} for n in nodes],
            "edges": [asdict(e) for e in edges], "colours": list(COLOURS.items())}
    payload = json.dumps(data, sort_keys=True).replace("</", "<\\/")
    return (_PAGE.replace("@TITLE@", html.escape(title))
            .replace("@SUBTITLE@", html.escape(subtitle)).replace("@DATA@", payload))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>jobpack graph: @TITLE@</title>
<style>
body { font: 13px sans-serif; margin: 16px; }
#legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border-radius: 4px; }
.node rect { stroke: #555; rx: 6; }
.node text { font: 12px sans-serif; }
.edge { fill: none; stroke: #888; stroke-width: 1.2; marker-end: url(#arrow); }
.edge.lazy { stroke-dasharray: 4 3; }
.node:hover rect { stroke: #000; stroke-width: 2; }
</style></head>
<body>
<h1>jobpack graph: @TITLE@</h1>
<p id="subtitle">@SUBTITLE@</p>
<div id="legend"></div>
<svg id="graph" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" viewBox="0 0 10 10"
 refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
<path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs></svg>
<script id="graph-data" type="application/json">@DATA@</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("graph-data").textContent);
const NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("graph");
const W = 220, H = 40;
const byId = new Map(data.nodes.map(n => [n.id, n]));
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e);
  return e;
}
const colourOf = new Map(data.colours);
for (const [kind, colour] of data.colours) {
  const s = document.createElement("span");
  s.textContent = kind; s.style.background = colour;
  document.getElementById("legend").appendChild(s);
}
let width = 0, height = 0;
for (const e of data.edges) {
  const a = byId.get(e.source), b = byId.get(e.target);
  const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mid = (x1 + x2) / 2;
  const d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
  const path = el("path", {class: e.lazy ? "edge lazy" : "edge", d: d,
                           "data-source": e.source, "data-target": e.target}, svg);
  el("title", {}, path).textContent = `${e.source} -> ${e.target}: ${e.sites.join(", ")}`;
}
for (const n of data.nodes) {
  const g = el("g", {class: "node", "data-id": n.id, "data-kind": n.kind}, svg);
  el("rect", {x: n.x, y: n.y, width: W, height: H, fill: colourOf.get(n.kind)}, g);
  el("text", {x: n.x + 8, y: n.y + 16}, g).textContent = n.label;
  el("text", {x: n.x + 8, y: n.y + 32, fill: "#333"}, g).textContent =
    n.kind + (n.sizeText ? ", " + n.sizeText : "");
  el("title", {}, g).textContent = `${n.label} (${n.kind}) ${n.sizeText}`;
  width = Math.max(width, n.x + W + 20); height = Math.max(height, n.y + H + 20);
}
svg.setAttribute("width", width); svg.setAttribute("height", height);
document.body.setAttribute("data-rendered", String(data.nodes.length));
</script>
</body></html>
"""


_OURS = (b"<!DOCTYPE html>", b"digraph job {", b"flowchart")


def write_graph(analysis: Analysis, text: str, target: Path,
                config: Path | None = None) -> None:
    """Write the graph to `target` through the one safe path: never over the job's own
    files (its sources, inputs and config), and over an existing file only when it is an
    old graph (or empty); atomically."""
    from jobpack.packager.output import check_target
    from jobpack.publish import write_atomic

    protected = [*analysis.sources.values(),
                 *(analysis.root / i.path for i in analysis.manifest.inputs),
                 *([config] if config is not None else [])]
    check_target(target, protected, lambda head: head.lstrip().startswith(_OURS),
                 "is not a graph jobpack wrote")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text.encode("utf-8"))
