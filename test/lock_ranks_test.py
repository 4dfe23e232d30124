#!/usr/bin/env python3
"""lock_ranks_test: every lock class kine defines has a rank, in one table.

src/sync/lockcheck.c's lock_ranks is the order lockcheck enforces (a hart
holding rank r takes only rank r or higher); docs/lockstat.md, "The lock
order", is the same table with what each class guards and why it sits where
it does. This test reads the class names the sources give their locks (every
literal passed to a lock's initializer) and checks:

  - each has a rank in lock_ranks (bar UNRANKED, which a self-test takes to
    show the kernel's own panic for a class without one);
  - lock_ranks names no class that no source defines (a stale entry);
  - docs/lockstat.md's table has exactly lock_ranks' classes and ranks;
  - names reach the initializers only as literals, except in the locks'
    own files, which pass their caller's literal on (WRAPPERS): otherwise a
    class could hide from this test.

Usage: lock_ranks_test.py LOCKCHECK_C LOCKSTAT_MD SOURCE...
"""
import re
import sys

UNRANKED = {"selftest_unranked"}
# The locks themselves, where a name passes through from the caller's literal.
WRAPPERS = {
    "src/sync/" + f
    for f in ("bitlock.c", "bitlock.h", "lockstat.h", "sleeplock.c", "sleeplock.h", "spinlock.c",
              "spinlock.h", "waitq.c", "waitq.h")
}

INIT = re.compile(
    r"\b(spin_init|waitq_init|sleeplock_init|lockstat_class_cached)\s*\(\s*[^,()]+(?:\([^()]*\))?[^,()]*,\s*([^)]*)\)"
    r"|\b(SPINLOCK_INIT|WAITQ_INIT|BITLOCK_CLASS)\s*\(([^)]*)\)"
)
LITERAL = re.compile(r'^"([^"]+)"$')
RANK = re.compile(r'\{\s*"([^"]+)",\s*(\d+)\s*\}')
DOC_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`([^`]+)`")


def source_classes(paths, problems):
    found = {}
    for path in paths:
        if not path.endswith((".c", ".h")):
            continue
        text = open(path, encoding="utf-8").read()
        for m in INIT.finditer(text):
            arg = (m.group(2) if m.group(1) else m.group(4)).strip()
            lit = LITERAL.match(arg)
            if lit:
                found.setdefault(lit.group(1), path)
            elif not any(path.endswith(w) for w in WRAPPERS) and arg != "lockname":
                line = text.count("\n", 0, m.start()) + 1
                problems.append("%s:%d: a lock class name that is not a literal: %s" % (path, line, arg))
    return found


def main():
    lockcheck_c, lockstat_md, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
    problems = []

    text = open(lockcheck_c, encoding="utf-8").read()
    table = text[text.index("lock_ranks[] = {"):]
    table = table[: table.index("};")]
    ranks = {}
    for name, rank in RANK.findall(table):
        if name in ranks:
            problems.append("lockcheck.c: class %s ranked twice" % name)
        ranks[name] = int(rank)

    docs = {}
    in_order = False
    for line in open(lockstat_md, encoding="utf-8"):
        if line.startswith("## "):
            in_order = line.strip() == "## The lock order"
        m = DOC_ROW.match(line) if in_order else None
        if m:
            docs[m.group(2)] = int(m.group(1))

    defined = source_classes(sources, problems)
    for name, path in sorted(defined.items()):
        if name not in ranks and name not in UNRANKED:
            problems.append("%s: lock class %s has no rank in lockcheck.c's lock_ranks" % (path, name))
    for name in sorted(ranks):
        if name not in defined:
            problems.append("lockcheck.c: ranks %s, which no source defines" % name)
    if docs != ranks:
        for name in sorted(set(docs) | set(ranks)):
            if docs.get(name) != ranks.get(name):
                problems.append(
                    "docs/lockstat.md ranks %s %s, lockcheck.c %s" % (name, docs.get(name), ranks.get(name))
                )
    if len(defined) < 30:
        problems.append("only %d lock classes found: the source lists are broken" % len(defined))

    for p in problems:
        print("lock_ranks_test: " + p)
    if problems:
        return 1
    print("lock_ranks_test: %d lock classes, each ranked in lockcheck.c and docs/lockstat.md" % len(ranks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
