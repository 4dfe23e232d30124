#!/usr/bin/env python3
"""include_graph.py: kine's include graph of src/, and how it is layered.

Reads every .c, .h, .S and .inc file under src/ and prints:

  ground      files that include the ground floor: src/base/, or before
              src/base existed src/kernel/kernel.h and src/lib/check.h;
              and files that include src/kernel/kernel.h
  up edges    #include lines from src/mm, src/sync, src/sched or src/arch
              into src/kernel/, each listed
  cycle       the largest cycle, as the size of the largest strongly
              connected component, of two graphs:
                includes   file A -> file B when A includes B (only
                           headers can close a cycle here: kine has none)
                units      the same, plus header H -> each .c file of H's
                           own folder that defines a function H declares:
                           a header and the bodies its folder gives it
                           are one unit. This is the graph in which
                           kernel.h (bodies in console.c, panic.c,
                           main.c, selftest.c) tied five folders into one
                           circle. A src/base header whose body lives on
                           a floor above (panic.c) is an interface that
                           floor supplies, as src/base/check.h is for
                           the host tests: no edge
              then the units cycle again with the up edges cut (what the
              floors below src/kernel form by themselves), the ground's
              files inside the units cycle, and the cycle's files by folder

Usage: tools/include_graph.py [--root DIR] [--quiet]
"""

import argparse
import os
import re
import sys

LOW = ("src/mm/", "src/sync/", "src/sched/", "src/arch/")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# A declaration at the start of a line: "type name(args);" (no body).
DECL = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{}#]*?\)[^;{}#]*;", re.M)
# A definition at the start of a line: "type name(args)\n{" (not static).
DEFN = re.compile(r"^(?!static\b)[A-Za-z_][\w \t\*]*?\b(\w+)\s*\([^;{}#]*?\)\s*\{", re.M)


def read_sources(root):
    files = {}
    for dirpath, _, names in os.walk(os.path.join(root, "src")):
        for name in names:
            if name.endswith((".c", ".h", ".S", ".inc")):
                path = os.path.relpath(os.path.join(dirpath, name), root)
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    files[path] = f.read()
    return files


def include_edges(files):
    edges = {path: set() for path in files}
    for path, text in files.items():
        for target in INCLUDE.findall(COMMENT.sub("", text)):
            if target not in files:  # relative to the including file
                target = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if target in files:
                edges[path].add(target)
    return edges


def impl_edges(files):
    """Header -> the .c files of its own folder that define what it
    declares."""
    defined = {}
    for path, text in files.items():
        if path.endswith(".c"):
            for name in DEFN.findall(COMMENT.sub("", text)):
                defined.setdefault(name, set()).add(path)
    edges = {path: set() for path in files}
    for path, text in files.items():
        if path.endswith(".h"):
            for name in DECL.findall(COMMENT.sub("", text)):
                for body in defined.get(name, set()):
                    if os.path.dirname(body) == os.path.dirname(path):
                        edges[path].add(body)
    return edges


def largest_scc(edges):
    """Tarjan's algorithm, iterative; returns the largest component."""
    index, low, on_stack, stack, best = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1 and len(component) > len(best):
                    best = sorted(component)
    return best


def by_folder(component):
    folders = {}
    for path in component:
        folders.setdefault(os.path.dirname(path), []).append(os.path.basename(path))
    return "\n".join("    %s: %s" % (d, " ".join(sorted(f))) for d, f in sorted(folders.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    parser.add_argument("--quiet", action="store_true", help="the figures only")
    args = parser.parse_args()
    files = read_sources(args.root)
    inc = include_edges(files)
    units = impl_edges(files)
    units = {path: inc[path] | units[path] for path in files}

    # The ground: src/base once it exists, kernel.h and lib/check.h before.
    has_base = any(p.startswith("src/base/") for p in files)
    old_ground = ("src/kernel/kernel.h", "src/lib/check.h")

    def is_ground(path):
        return path.startswith("src/base/") if has_base else path in old_ground

    on_ground = sorted(p for p in files if any(is_ground(t) for t in inc[p]))
    kernel_h = sorted(p for p in files if "src/kernel/kernel.h" in inc[p])
    up = sorted((p, t) for p in files if p.startswith(LOW) for t in inc[p]
                if t.startswith("src/kernel/"))
    cycle_inc = largest_scc(inc)
    cycle_units = largest_scc(units)
    cut = {p: {t for t in units[p] if not (p.startswith(LOW) and t.startswith("src/kernel/"))}
           for p in files}
    cycle_cut = largest_scc(cut)
    ground = [p for p in cycle_units if is_ground(p)]

    print("files including the ground (%s): %d" %
          ("src/base" if has_base else "kernel.h, lib/check.h", len(on_ground)))
    print("  of them under src/mm|sync|sched|arch: %d" % sum(p.startswith(LOW) for p in on_ground))
    print("files including src/kernel/kernel.h:    %d" % len(kernel_h))
    print("  of them under src/mm|sync|sched|arch: %d" % sum(p.startswith(LOW) for p in kernel_h))
    print("up edges src/mm|sync|sched|arch -> src/kernel: %d" % len(up))
    print("largest cycle, includes only:           %d" % len(cycle_inc))
    print("largest cycle, units:                   %d" % len(cycle_units))
    print("largest cycle, units, up edges cut:     %d" % len(cycle_cut))
    print("ground files in the units cycle:        %d %s" % (len(ground), " ".join(ground)))
    if args.quiet:
        return 0
    for path, target in up:
        print("  up: %s -> %s" % (path, target))
    if cycle_inc:
        print("cycle (includes only):\n" + by_folder(cycle_inc))
    if cycle_units:
        print("cycle (units):\n" + by_folder(cycle_units))
    return 0


if __name__ == "__main__":
    sys.exit(main())
