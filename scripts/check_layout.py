#!/usr/bin/env python3
"""Checks the workspace layout that docs/architecture.md describes (run by scripts/test).

1. Dependencies run one way (from `cargo metadata`): a package under shared/ depends on
   nothing under tools/ or functions/; a package under functions/ on nothing under
   tools/ or functions/; nothing but tests/ depends on tests/; the GameLift emulator
   depends on no area crate.
2. At most MAX_PACKAGES workspace packages.
3. No import circle between the modules of any crate: module A uses module B when A's
   file names `crate::b::...`, `super::b::...` or `self::b::...` (or a sibling through
   its parent's re-export, which is followed to the module that defines the item).
   Declaring a child (`mod b;`) and re-exporting (`pub use b::X;`) are not uses.

Usage: scripts/check_layout.py [--root DIR] [--metadata FILE]   (exit 1 on a violation)
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys

MAX_PACKAGES = 20
AREA_CRATES = {"hangar-sessions", "hangar-gameservers", "hangar-scaler", "hangar-fleet", "hangar-deploy", "hangar-domain"}


def kind_of(manifest: pathlib.Path, root: pathlib.Path) -> str:
    rel = manifest.parent.relative_to(root).parts
    return rel[0] if rel else "root"


def check_dependencies(meta: dict, root: pathlib.Path) -> list[str]:
    problems = []
    members = set(meta["workspace_members"])
    packages = {p["id"]: p for p in meta["packages"] if p["id"] in members}
    by_name = {p["name"]: p for p in packages.values()}
    if len(packages) > MAX_PACKAGES:
        problems.append(f"{len(packages)} workspace packages; at most {MAX_PACKAGES}")
    for p in packages.values():
        kind = kind_of(pathlib.Path(p["manifest_path"]), root)
        for d in p["dependencies"]:
            target = by_name.get(d["name"])
            if target is None or d.get("path") is None:
                continue
            tkind = kind_of(pathlib.Path(target["manifest_path"]), root)
            dev = d.get("kind") == "dev"
            edge = f"{p['name']} ({kind}) -> {target['name']} ({tkind}){' [dev]' if dev else ''}"
            if kind == "shared" and tkind in ("tools", "functions", "tests"):
                problems.append(f"forbidden edge {edge}: shared/ never depends on tools/, functions/ or tests/")
            elif kind == "functions" and tkind in ("tools", "functions", "tests"):
                problems.append(f"forbidden edge {edge}: functions/ depend on shared/ only")
            elif kind == "tools" and tkind in ("functions", "tests"):
                problems.append(f"forbidden edge {edge}: tools/ depend on shared/ and tools/ only")
            if p["name"] == "gamelift-emulator" and target["name"] in AREA_CRATES:
                problems.append(f"forbidden edge {edge}: the emulator models GameLift, not Hangar")
    return problems


USE_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
MOD_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;", re.M)
PLAIN_USE_RE = re.compile(r"^\s*use\s+([a-z_][a-z0-9_]*)::", re.M)
REEXPORT_RE = re.compile(r"^\s*pub(?:\([^)]*\))?\s+use\s+([^;]+);", re.M)
COMMENT_RE = re.compile(r"//[^\n]*")
STRING_RE = re.compile(r'"(?:\\.|[^"\\])*"')


def strip(text: str) -> str:
    return COMMENT_RE.sub("", STRING_RE.sub('""', text))


class Crate:
    """The module tree of one crate, from its root file, following `mod x;` declarations."""

    def __init__(self, root_file: pathlib.Path):
        self.files: dict[tuple, pathlib.Path] = {}
        self.text: dict[tuple, str] = {}
        self._walk((), root_file)

    def _walk(self, path: tuple, file: pathlib.Path):
        if not file.is_file() or path in self.files:
            return
        self.files[path] = file
        text = strip(file.read_text(encoding="utf-8", errors="replace"))
        self.text[path] = text
        base = file.parent if file.name in ("lib.rs", "main.rs", "mod.rs") or not path else file.with_suffix("")
        for name in MOD_RE.findall(text):
            for candidate in (base / f"{name}.rs", base / name / "mod.rs"):
                if candidate.is_file():
                    self._walk(path + (name,), candidate)
                    break

    def reexports(self, module: tuple) -> dict[str, tuple]:
        """Names `module` re-exports with `pub use`, mapped to the module they come from."""
        out = {}
        for spec in REEXPORT_RE.findall(self.text.get(module, "")):
            spec = re.sub(r"\s+", "", spec)
            m = re.match(r"^((?:(?:crate|super|self|[A-Za-z_][A-Za-z0-9_]*)::)+)(\{.*\}|[A-Za-z_][A-Za-z0-9_]*)$", spec)
            if not m:
                continue
            prefix = [s for s in m.group(1).split("::") if s]
            names = m.group(2).strip("{}").split(",")
            origin = self.resolve(module, prefix)
            if origin is None:
                continue
            for n in names:
                n = n.split("as")[-1] if "as" in n.split("::")[-1] else n
                n = n.split("::")[-1]
                if n and n not in ("self", "*"):
                    out[n] = origin
        return out

    def resolve(self, module: tuple, segments: list[str]):
        """The deepest module of this crate that `segments`, seen from `module`, names."""
        if not segments:
            return None
        head, rest = segments[0], segments[1:]
        if head == "crate":
            cur = ()
        elif head == "super":
            cur = module[:-1]
            while rest and rest[0] == "super":
                cur, rest = cur[:-1], rest[1:]
        elif head == "self":
            cur = module
        elif module + (head,) in self.files:
            cur, rest = module + (head,), rest
        else:
            return None
        for seg in rest:
            if cur + (seg,) in self.files:
                cur = cur + (seg,)
            else:
                # an item of `cur`: follow a re-export to the module that defines it
                origin = self.reexports(cur).get(seg) if cur != module else None
                if origin is not None and origin != cur:
                    return origin
                break
        return cur

    def edges(self) -> dict[tuple, set]:
        graph: dict[tuple, set] = {m: set() for m in self.files}
        for module, text in self.text.items():
            body = REEXPORT_RE.sub("", text)
            found = [[m.group(1)] + [x for x in m.group(2).split("::") if x] for m in USE_RE.finditer(body)]
            # `use child::...` (a path relative to this module)
            for m in PLAIN_USE_RE.finditer(body):
                if module + (m.group(1),) in self.files:
                    found.append(["self", m.group(1)])
            # a name this module re-exports and also uses itself
            for item, origin in self.reexports(module).items():
                if origin != module and re.search(r"\b" + re.escape(item) + r"\b", body):
                    graph[module].add(origin)
            for segments in found:
                target = self.resolve(module, segments)
                if target is not None and target != module:
                    graph[module].add(target)
        return graph


def cycles(graph: dict[tuple, set]) -> list[list[tuple]]:
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def name(path: tuple) -> str:
    return "crate" if not path else "::".join(path)


def check_modules(meta: dict) -> list[str]:
    problems = []
    members = set(meta["workspace_members"])
    for p in meta["packages"]:
        if p["id"] not in members:
            continue
        for t in p["targets"]:
            if not set(t["kind"]) & {"lib", "bin", "test", "bench"}:
                continue
            crate = Crate(pathlib.Path(t["src_path"]))
            for comp in cycles(crate.edges()):
                problems.append(
                    f"import circle in {p['name']} ({t['name']}): " + " <-> ".join(name(m) for m in comp)
                )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent, type=pathlib.Path)
    parser.add_argument("--metadata", type=pathlib.Path, help="cargo metadata JSON (default: run cargo)")
    args = parser.parse_args()
    root = args.root.resolve()
    if args.metadata:
        meta = json.loads(args.metadata.read_text())
    else:
        out = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=root, check=True, capture_output=True, text=True,
        ).stdout
        meta = json.loads(out)
    problems = check_dependencies(meta, root) + check_modules(meta)
    members = [p for p in meta["packages"] if p["id"] in set(meta["workspace_members"])]
    for line in problems:
        print(f"LAYOUT  {line}")
    print(f"{len(members)} workspace packages (at most {MAX_PACKAGES}); {len(problems)} layout problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
