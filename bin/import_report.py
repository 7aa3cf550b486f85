#!/usr/bin/env python3
"""Import health of the project: function-level imports (all, and those crossing apps), module
cycles counting function-level imports, and the largest modules.

    python bin/import_report.py [ROOT] [-v]

import-linter enforces the layers (`make lint`); this report measures what it does not: lazy
imports that hide a cycle, and modules that grew past a screenful of contents.
"""

from __future__ import annotations

import ast
import os
import sys
from collections import defaultdict

APPS = ("core", "avatarsaas", "tenants", "styles", "generation")


def project_modules(root: str) -> dict[str, str]:
    mods = {}
    for app in APPS:
        for folder, _dirs, files in os.walk(os.path.join(root, app)):
            if "migrations" in folder or "__pycache__" in folder:
                continue
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    mod = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
                    mods[mod.removesuffix(".__init__")] = path
    return mods


def imported_modules(node: ast.AST, package: str, mods: dict[str, str]) -> set[str]:
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parts + ([base] if base else []))
        for alias in node.names:
            sub = f"{base}.{alias.name}" if base else alias.name
            names.append(sub if sub in mods else base)
    found = set()
    for name in names:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in mods:
                found.add(".".join(parts[:i]))
                break
    return found


def analyse(root: str):
    mods = project_modules(root)
    edges: dict[str, set[str]] = defaultdict(set)
    lazy: list[tuple[str, str, int]] = []
    for mod, path in mods.items():
        package = mod if path.endswith("__init__.py") else mod.rsplit(".", 1)[0]

        def walk(node, in_function, in_type_checking, mod=mod, package=package):
            for child in ast.iter_child_nodes(node):
                func = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                typing_only = in_type_checking or (
                    isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
                )
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in imported_modules(child, package, mods) - {mod}:
                        if not typing_only:
                            edges[mod].add(target)
                        if func:
                            lazy.append((mod, target, child.lineno))
                walk(child, func, typing_only)

        with open(path) as fh:
            walk(ast.parse(fh.read()), False, False)
    return mods, edges, lazy


def cycles(mods, edges) -> list[list[str]]:
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(mods):
        if v not in index:
            connect(v)
    return found


def main(argv: list[str]) -> None:
    root = next((a for a in argv if not a.startswith("-")), ".")
    mods, edges, lazy = analyse(root)
    crossing = [x for x in lazy if x[0].split(".")[0] != x[1].split(".")[0]]
    print("function-level imports of project modules:", len(lazy))
    print("  of which cross apps:", len(crossing))
    if "-v" in argv:
        for src, dst, line in lazy:
            print(f"    {src}:{line} -> {dst}")
    found = cycles(mods, edges)
    print("module cycles (counting function-level imports):", len(found))
    for component in found:
        print("   ", " <-> ".join(component))
    with_lines = []
    for mod, path in mods.items():
        with open(path) as fh:
            with_lines.append((sum(1 for _ in fh), mod))
    print("largest modules:", ", ".join(f"{m} ({n})" for n, m in sorted(with_lines)[::-1][:6]))


if __name__ == "__main__":
    main(sys.argv[1:])
