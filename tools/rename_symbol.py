#!/usr/bin/env python3
"""rename_symbol.py: rename a C identifier, or move a file, across kine.

    tools/rename_symbol.py OLD NEW [--force] [--readme] [--files F ...]
    tools/rename_symbol.py --mv src/mm/vm.h src/mm/mm.h [--readme] [--files F ...]

(--files last: it takes every word after it.)

The first form replaces OLD by NEW where OLD is a whole word (a C
identifier: letters, digits and '_'), so vm_copy does not touch
vm_copy_busy. The second `git mv`s the file and renames its path
everywhere: the full path ("src/mm/vm.h", in includes, BUILD labels and
docs), its include guard (KINE_MM_VM_H), and its bare name ("vm.h", in its
package's BUILD, in comments and prose).

Where: every file git tracks under src/, user/, test/, tools/ and docs/
(C, BUILD, scripts, Promela models), plus BENCHMARKS.md, the top BUILD and
kine, but for docs/benchmarks/ (the recorded output of past runs) and this
script; or only the files given with --files. README.md is left alone unless
--readme is given (or it is named in --files): it has an editor of its own.

Afterwards the C files changed are run through clang-format (the project's
.clang-format), since a longer or shorter name may move a line break.
Prints each file changed and the count of replacements; exits 1 if OLD was
found nowhere, and refuses a NEW already in use (--force merges the
two). Re-running the same command after a merge (with --force, since NEW
is in use by then; --mv skips the git mv of a file moved already) redoes
the rename on whatever the merge brought in.
"""

import argparse
import os
import re
import subprocess
import sys

ROOTS = ["src", "user", "test", "tools", "docs", "BENCHMARKS.md", "BUILD", "kine"]
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
C_SUFFIXES = (".c", ".h")


def repo_root():
    out = subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def tracked(roots, readme):
    out = subprocess.run(["git", "ls-files", "-z", "--"] + roots, check=True,
                         capture_output=True, text=True)
    # Not this script (its examples), nor the recorded output of past runs
    # (docs/benchmarks/: what that run's kernel printed, stale line numbers and all).
    files = [f for f in out.stdout.split("\0")
             if f and f != "tools/rename_symbol.py" and not f.startswith("docs/benchmarks/")]
    if readme:
        files.append("README.md")
    return [f for f in files if os.path.isfile(f) and not os.path.islink(f)]


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (UnicodeDecodeError, OSError):
        return None  # binary or unreadable: never touched


def word(s):
    """A pattern for s as a whole word (s itself may hold '.' or '/')."""
    return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(s) + r"(?![A-Za-z0-9_])")


def apply(files, pairs):
    """Replace every (pattern, new) in files; returns {path: count}."""
    changed = {}
    for path in files:
        text = read_text(path)
        if text is None:
            continue
        new, total = text, 0
        for pat, repl in pairs:
            new, n = pat.subn(repl.replace("\\", "\\\\"), new)
            total += n
        if total:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            changed[path] = total
    return changed


def guard(path):
    """The include guard kine gives a header: src/mm/vm.h -> KINE_MM_VM_H."""
    parts = path.split("/")
    if parts[0] == "src":
        parts = parts[1:]
    return "KINE_" + re.sub(r"[^A-Za-z0-9]", "_", "_".join(parts)).upper()


def move_pairs(old, new):
    """The renames a git mv of old to new owes: path, guard, bare name."""
    if os.path.dirname(old) != os.path.dirname(new):
        sys.exit("rename_symbol.py: --mv renames within a folder only")
    pairs = [(word(old), new)]
    if old.endswith(".h"):
        pairs.append((word(guard(old)), guard(new)))
    pairs.append((word(os.path.basename(old)), os.path.basename(new)))
    return pairs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--mv", action="store_true",
                    help="OLD and NEW are file paths: git mv, and rename the path")
    ap.add_argument("--files", nargs="+", help="only these files")
    ap.add_argument("--readme", action="store_true", help="README.md too")
    ap.add_argument("--force", action="store_true", help="even if NEW is already used")
    ap.add_argument("--no-format", action="store_true", help="skip clang-format")
    args = ap.parse_args()

    os.chdir(repo_root())
    # README.md only when asked: --readme, or named in --files.
    files = args.files if args.files else tracked(ROOTS, args.readme)

    if args.mv:
        if os.path.isfile(args.old):
            if os.path.exists(args.new):
                sys.exit(f"rename_symbol.py: {args.new} exists")
            subprocess.run(["git", "mv", args.old, args.new], check=True)
        elif not os.path.isfile(args.new):
            sys.exit(f"rename_symbol.py: no file {args.old}")
        # else moved already (a re-run after a merge): rename the path only.
        files = [args.new if f == args.old else f for f in files]
        pairs = move_pairs(args.old, args.new)
    else:
        for name in (args.old, args.new):
            if not IDENT.match(name):
                sys.exit(f"rename_symbol.py: {name!r} is not a C identifier")
        pairs = [(word(args.old), args.new)]
        clash = [f for f in files if word(args.new).search(read_text(f) or "")]
        if clash and not args.force:
            sys.exit(f"rename_symbol.py: {args.new} is already used in {', '.join(clash)}"
                     " (--force to merge the two names)")

    changed = apply(files, pairs)
    for path, n in sorted(changed.items()):
        print(f"{path}: {n}")
    if not changed and not args.mv:
        print(f"rename_symbol.py: {args.old} found nowhere", file=sys.stderr)
        return 1
    c_files = [p for p in changed if p.endswith(C_SUFFIXES)]
    if c_files and not args.no_format:
        subprocess.run(["clang-format", "-i", "--style=file"] + sorted(c_files), check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
