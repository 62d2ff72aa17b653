"""What a diagram shows, worked out from the typed graph before any DOT is written.

The graph's nodes are grouped into nested *groups* (block instances, labelled constructs and
``each`` bodies), runs of identical consecutive block instances are folded into one *run*
item, short chain blocks into one *stack* item, internal plumbing (``each``'s fold and unfold) is hidden, and every item gets a stable
id derived from module names, so the same spec always gives the same DOT text.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ...core.ir import Graph, Node, Scope
from ...diagnostics import Diagnostic, SpecError, did_you_mean

#: nodes folded away: ``each`` reshapes are shown as a time-distributed cluster instead
HIDDEN_ROLES = frozenset({"each_in", "each_out"})


class Folded:
    """Nodes drawn as one box: the shared part of a :class:`Run` and a :class:`Stack`."""

    nodes: list[Node]

    @property
    def params(self) -> int:
        return sum(n.params for n in self.nodes)

    @property
    def first(self) -> int:
        return self.nodes[0].id


@dataclass(eq=False)
class Run(Folded):
    """Consecutive block instances with the same structure, drawn as one node marked ``×N``."""

    scopes: list[Scope]
    nodes: list[Node]

    @property
    def id(self) -> str:
        return f"run:{self.scopes[0].path}..{self.scopes[-1].path}"


@dataclass(eq=False)
class Stack(Folded):
    """A small block instance that is a plain chain of layers, drawn as one box listing them."""

    scope: Scope
    nodes: list[Node]

    @property
    def id(self) -> str:
        return f"stack:{self.scope.path}"


#: a chain block of at most this many layers is drawn as a stack rather than a frame
STACK_MAX = 8


@dataclass(eq=False)
class Stage(Stack):
    """A block instance or labelled group below the diagram's ``depth``, drawn as one box: its
    call, path, parameters (a stage-level view of the network)."""

    @property
    def id(self) -> str:
        return f"stage:{self.scope.path}"


#: layer families that a compact diagram folds into the layer before them
COMPACT_FAMILIES = frozenset({"activation", "norm"})


@dataclass(eq=False)
class Group:
    """A cluster: a block instance, a labelled construct (``scope``), or an ``each`` body."""

    key: str
    kind: str  # "block", "label", "repeat", "each" or "network"
    scope: Scope | None = None
    steps: object = None  # an ``each`` body's sequence length
    items: list = field(default_factory=list)  # Node, Run or Stack, in graph order
    groups: list[Group] = field(default_factory=list)
    params: int = 0

    @property
    def first(self) -> int:
        firsts = [_first(i) for i in self.items] + [g.first for g in self.groups]
        return min(firsts)

    def children(self) -> list:
        """Items and subgroups interleaved in graph order, so the layout follows the data."""
        keyed = [(_first(i), 0, i) for i in self.items]
        keyed += [(g.first, 1, g) for g in self.groups]
        return [c for _, _, c in sorted(keyed, key=lambda t: (t[0], t[1]))]


def _first(item) -> int:
    return item.id if isinstance(item, Node) else item.first


@dataclass
class Edge:
    src: str
    dst: str
    shape: str
    shortcut: bool = False  # part of a residual's shortcut: drawn to the side
    identity: bool = False  # an identity shortcut: it must not pull the layout
    forks: bool = False  # a shortcut leaving the main path
    joins: bool = False  # a shortcut arriving at its `+`


@dataclass
class Structure:
    """Everything the DOT writer needs: the group tree, visible items and their edges."""

    graph: Graph
    root: Group
    ids: dict[int, str]  # node -> the id of the item drawing it (a run's or stack's when folded)
    edges: list[Edge]
    families: list[str]  # layer families drawn, in first-seen order
    shapes: bool = True  # tensor shapes are written on edges and stack rows
    folded_into: dict[int, list[Node]] = field(default_factory=dict)  # compact: a layer -> the ones after it


def analyse(graph: Graph, expand: str | list[str] | tuple[str, ...] | None = None, compact: bool = False,
            depth: int | None = None) -> Structure:
    """Group, fold and connect ``graph``'s nodes. ``expand`` is ``"all"``, or block names and
    module paths whose runs and stacks are drawn layer by layer; an unknown name is a
    :class:`SpecError` with a did-you-mean. ``compact`` folds activations and normalisations
    into the layer before them; ``depth`` draws each block instance or labelled group nested
    deeper than it (0: inside the network's own items) as one box."""
    expand = _expand_set(graph, expand)
    members = _members(graph)
    uses = {n.id: graph.uses(n.id) for n in graph.nodes}
    folds = _fold(graph, graph.root, members, expand, uses, depth)
    folded = {n.id: f for f in folds for n in f.nodes}  # node -> the Run, Stack or Stage drawing it
    hosts = _compact_hosts(graph, folded, uses) if compact else {}

    ids = _stable_ids(graph)
    rep: dict[int, str | None] = {}
    for n in graph.nodes:
        if n.role in HIDDEN_ROLES:
            rep[n.id] = rep.get(n.inputs[0]) if n.inputs else None
        elif n.id in folded:
            rep[n.id] = folded[n.id].id
        elif n.id in hosts:
            rep[n.id] = rep[hosts[n.id]]
        else:
            rep[n.id] = ids[n.id]
    folded_into: dict[int, list[Node]] = {}
    for n_id, host in hosts.items():
        folded_into.setdefault(host, []).append(graph.nodes[n_id])

    root = _group_tree(graph, folded, ids, hidden=set(hosts))
    edges = _edges(graph, rep, uses)
    families = []
    for n in graph.nodes:
        fam = n.layer.family if n.layer is not None else "other"
        drawn = n.role not in HIDDEN_ROLES and not isinstance(folded.get(n.id), (Run, Stage)) and n.id not in hosts
        if drawn and fam not in families:
            families.append(fam)
    if any(isinstance(f, (Run, Stage)) for f in folds) and "block" not in families:
        families.append("block")
    return Structure(graph, root, {n.id: rep[n.id] for n in graph.nodes if rep[n.id]}, edges, families,
                     folded_into=folded_into)


def _compact_hosts(graph: Graph, folded: dict, uses: dict[int, int]) -> dict[int, int]:
    """Activation and normalisation nodes -> the drawn layer they fold into: the layer that
    alone feeds them (directly or through others folded into it), in their scope, read only by
    them."""
    hosts: dict[int, int] = {}
    for n in graph.nodes:
        if (n.layer is None or n.layer.family not in COMPACT_FAMILIES or n.layer.glyph is not None
                or n.role not in (None, "shortcut") or n.id in folded or len(n.inputs) != 1):
            continue
        prev = graph.nodes[n.inputs[0]]
        host = hosts.get(prev.id, prev.id)
        top = graph.nodes[host]
        if (uses[prev.id] == 1 and top.op != "input" and top.role == n.role and top.id not in folded
                and top.layer is not None and top.layer.glyph is None and top.scope is n.scope):
            hosts[n.id] = host
    return hosts


# -- stable ids ---------------------------------------------------------------------------------
def _stable_ids(graph: Graph) -> dict[int, str]:
    """Module names where there are any; otherwise scope path, kind and a count in the scope
    (``layer1.0/add0``), or the input's name. Never Python object identities."""
    ids: dict[int, str] = {}
    counts: dict[tuple[str, str], int] = {}
    for n in graph.nodes:
        if n.op == "input":
            ids[n.id] = f"input:{n.label}"
        elif n.name:
            ids[n.id] = n.name
        else:
            key = (n.scope.path, n.op)
            k = counts.get(key, 0)
            counts[key] = k + 1
            ids[n.id] = f"{n.scope.path}/{n.op}{k}"
    return ids


# -- block runs ----------------------------------------------------------------------------------
def _members(graph: Graph) -> dict[Scope, list[Node]]:
    """Every scope's nodes, its descendants' included, in graph order."""
    out: dict[Scope, list[Node]] = {}
    for n in graph.nodes:
        for s in n.scope.ancestors():
            out.setdefault(s, []).append(n)
    return out


def _signature(scope: Scope, nodes: list[Node]) -> tuple:
    """Two instances with equal signatures draw identically: same layers, wiring and shapes."""
    index = {n.id: k for k, n in enumerate(nodes)}
    prefix = len(scope.path) + 1
    return tuple(
        (n.layer.describe() if n.layer else n.op, n.role, str(n.out), (n.name or "")[prefix:],
         tuple(index.get(i, -1) for i in n.inputs))
        for n in nodes
    )


def _follows(prev: list[Node], nxt: list[Node]) -> bool:
    """``nxt`` reads only the value ``prev`` ends with: the two are chained back to back."""
    inside = {n.id for n in nxt}
    outside = {i for n in nxt for i in n.inputs if i not in inside}
    return outside == {prev[-1].id}


def _expanded(run_scopes: list[Scope], expand) -> bool:
    if expand == "all":
        return True
    if run_scopes[0].name in expand:
        return True
    for s in run_scopes:
        for e in expand:
            if s.path == e or s.path.startswith(e + ".") or e.startswith(s.path + "."):
                return True
    return False


def _is_chain(nodes: list[Node], uses: dict[int, int]) -> bool:
    """Layers one after another, each read only by the next: a stack draws it without loss."""
    if not 1 <= len(nodes) <= STACK_MAX or len(nodes[0].inputs) != 1:
        return False
    for prev, n in itertools.pairwise(nodes):
        if n.inputs != [prev.id] or uses[prev.id] != 1:
            return False
    return all(n.role is None and n.layer.family != "recurrent" for n in nodes)


def _fold(graph: Graph, scope: Scope, members, expand, uses, depth: int | None = None) -> list:
    """Runs of identical block instances and chain blocks drawn as stacks, outermost first;
    scopes below ``depth`` drawn as stages."""
    out: list = []
    current: list[Scope] = []
    sig = None

    def close():
        if len(current) >= 2 and not _expanded(current, expand):
            out.append(Run(list(current), [n for s in current for n in members[s]]))
            return
        for s in current:
            if not _expanded([s], expand) and _is_chain(members[s], uses):
                out.append(Stack(s, members[s]))
            else:
                out.extend(_fold(graph, s, members, expand, uses, depth))

    for child in scope.children:
        if child not in members:
            continue  # a scope whose body elaborated to nothing
        if depth is not None and child.depth > depth and child.kind in ("block", "label"):
            close()
            current, sig = [], None
            out.append(Stage(child, members[child]))
            continue
        s = _signature(child, members[child]) if child.kind == "block" else None
        if (s is not None and current and s == sig and current[-1].name == child.name
                and _follows(members[current[-1]], members[child])):
            current.append(child)
            continue
        close()
        current, sig = ([child], s) if s is not None else ([], None)
        if s is None:
            out.extend(_fold(graph, child, members, expand, uses, depth))
    close()
    return out


def _expand_set(graph: Graph, expand):
    if expand is None:
        return frozenset()
    if isinstance(expand, str):
        expand = [expand]
    expand = list(expand)
    if "all" in expand:
        return "all"
    known_blocks, known_paths = set(), set()

    def walk(s: Scope):
        if s.kind == "block":
            known_blocks.add(s.name)
        if s.path:
            known_paths.add(s.path)
        for c in s.children:
            walk(c)

    walk(graph.root)
    for e in expand:
        if e not in known_blocks and e not in known_paths:
            choices = sorted(known_blocks) + sorted(known_paths)
            raise SpecError([Diagnostic(
                "error",
                f"nothing to expand named `{e}`: give `all`, a block name "
                f"({', '.join(sorted(known_blocks)) or 'this network uses none'}) or a module path",
                hint=did_you_mean(e, choices),
            )])
    return frozenset(expand)


# -- groups --------------------------------------------------------------------------------------
def _group_tree(graph: Graph, folded: dict, ids: dict[int, str], hidden: set[int] = frozenset()) -> Group:
    regions = sorted(graph.each_regions(), key=lambda r: r[0].id)
    root = Group("", "network", graph.root)
    groups: dict[tuple, Group] = {(): root}

    def path_of(n: Node, upto: Scope | None = None) -> list[tuple]:
        chain = [s for s in reversed(n.scope.ancestors()) if s.parent is not None]
        if upto is not None:
            chain = chain[: chain.index(upto) + 1] if upto in chain else []
        keys: list[tuple] = [("scope", s) for s in chain]
        for fold, unfold in regions:  # outer regions first: they start earlier
            if fold.id < n.id < unfold.id:
                at = fold.scope
                if at.parent is None:
                    pos = 0
                elif ("scope", at) in keys:
                    pos = keys.index(("scope", at)) + 1
                else:
                    continue
                while pos < len(keys) and keys[pos][0] == "each":
                    pos += 1
                keys.insert(pos, ("each", fold))
        return keys

    def group_at(keys: list[tuple]) -> Group:
        for depth in range(1, len(keys) + 1):
            k = tuple(keys[:depth])
            if k not in groups:
                kind, obj = keys[depth - 1]
                if kind == "each":
                    source = graph.nodes[obj.inputs[0]].out
                    g = Group(f"each:{ids[obj.id]}", "each", steps=source.shape[0] if source else None)
                else:
                    g = Group(obj.path, obj.kind, obj)
                groups[k] = g
                groups[k[:-1]].groups.append(g)
        return groups[tuple(keys)]

    placed = set()
    for n in graph.nodes:
        if n.role in HIDDEN_ROLES or n.id in hidden:
            continue
        fold = folded.get(n.id)
        if fold is not None:
            if fold.id in placed:
                continue
            placed.add(fold.id)
            keys = path_of(n, (fold.scopes[0] if isinstance(fold, Run) else fold.scope).parent)
            group_at(keys).items.append(fold)
        else:
            group_at(path_of(n)).items.append(n)
    _sum_params(root)
    return root


def _sum_params(g: Group) -> int:
    g.params = sum(i.params for i in g.items) + sum(_sum_params(c) for c in g.groups)
    return g.params


# -- edges ---------------------------------------------------------------------------------------
def _shortcut_nodes(graph: Graph, uses: dict[int, int]) -> tuple[set[int], set[int]]:
    """Nodes on residual shortcuts (a projection or an explicit shortcut body) and the
    residual merges whose shortcut is the identity."""
    side, identity = set(), set()
    for n in graph.nodes:
        if n.role != "residual" or len(n.inputs) != 2:
            continue
        short = n.inputs[1]
        if uses[short] > 1:  # the fork itself: nothing sits on the shortcut
            identity.add(n.id)
            continue
        while uses[short] == 1 and len(graph.nodes[short].inputs) == 1:
            side.add(short)
            short = graph.nodes[short].inputs[0]
    return side, identity


def _edges(graph: Graph, rep: dict[int, str | None], uses: dict[int, int]) -> list[Edge]:
    side, identity = _shortcut_nodes(graph, uses)
    edges, seen = [], set()
    for n in graph.nodes:
        dst = rep[n.id]
        if n.role in HIDDEN_ROLES or dst is None:
            continue
        for k, i in enumerate(n.inputs):
            src = rep[i]
            if src is None or src == dst:
                continue
            source = graph.nodes[i]
            if source.role == "each_in" and source.inputs:  # into an `each`: the whole sequence
                source = graph.nodes[source.inputs[0]]
            shape = str(source.out) if source.out is not None else "?"
            closes = n.role == "residual" and k == 1
            key = (src, dst, shape)
            if key not in seen:
                seen.add(key)
                edges.append(Edge(src, dst, shape, closes or n.id in side, closes and n.id in identity,
                                  forks=(closes or n.id in side) and i not in side, joins=closes))
    return edges
