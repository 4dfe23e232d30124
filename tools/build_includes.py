#!/usr/bin/env python3
"""build_includes.py: does each C target's BUILD entry declare what its files include?

For every cc_library, cc_binary and cc_test under src/, test/host and test/fuzz
(from `bazel query --output=xml`), reads each file of its srcs and hdrs and
checks every #include "..." that names a file of the repository: the header
must be one of the target's own files or in the hdrs of a direct dep. Prints
each include that is not (MISSING) and each header-only dep none of whose
headers the target includes (UNUSED); exits 1 if any include is missing.
Deps that carry code (srcs) may be there for the link alone and are not
reported.

Run from the repository: tools/build_includes.py
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
QUERY = 'kind("cc_library|cc_binary|cc_test", //src/... + //test/host/... + //test/fuzz/... + //user:abi)'
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def path(label):
    """//pkg:name -> pkg/name (a source file's path), or None."""
    if not label.startswith("//"):
        return None
    pkg, _, name = label[2:].partition(":")
    return pkg + "/" + name


def read_rules():
    xml = subprocess.run(["bazel", "query", "--output=xml", QUERY], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    rules = {}
    for rule in ET.fromstring(xml).iter("rule"):
        lists = {"srcs": [], "hdrs": [], "deps": []}
        for lst in rule.findall("list"):
            if lst.get("name") in lists:
                lists[lst.get("name")] = [l.get("value") for l in lst.findall("label")]
        rules[rule.get("name")] = lists
    return rules


# Macros a build setting defines, and the target that carries the setting: an include inside
# `#ifdef MACRO ... #endif` is needed only by a target that depends on that setting (the
# frames' host-test copies include lockstat.h only in the debug image's KINE_LOCKCHECK_ALL).
SETTING_MACROS = {"KINE_LOCKCHECK_ALL": "//src/sync:lockcheck_setting"}
IFDEF_BLOCK = re.compile(r"^\s*#\s*ifdef\s+(\w+)\s*$(.*?)^\s*#\s*endif", re.M | re.S)


def includes(relpath, deps=()):
    with open(os.path.join(ROOT, relpath), encoding="utf-8") as f:
        text = COMMENT.sub("", f.read())
    for m in IFDEF_BLOCK.finditer(text):
        setting = SETTING_MACROS.get(m.group(1))
        if setting is not None and setting not in deps:
            text = text.replace(m.group(2), "", 1)  # that block is not compiled here
    return [i for i in INCLUDE.findall(text) if os.path.isfile(os.path.join(ROOT, i))]


def main():
    rules = read_rules()
    providers = {}
    for name, r in rules.items():
        for hdr in r["hdrs"]:
            providers.setdefault(path(hdr), set()).add(name)
    missing = 0
    for name, r in sorted(rules.items()):
        own = {path(x) for x in r["srcs"] + r["hdrs"]} - {None}
        deps, used = set(r["deps"]), set()
        for f in sorted(own):
            if not f.endswith((".c", ".h", ".S", ".inc")) or not os.path.isfile(
                    os.path.join(ROOT, f)):
                continue
            for inc in includes(f, deps):
                if inc in own:
                    continue
                given = providers.get(inc, set()) & deps
                if given:
                    used |= given
                    continue
                missing += 1
                print("MISSING %s: %s includes %s (in %s)" %
                      (name, f, inc, ", ".join(sorted(providers.get(inc, ()))) or "no target"))
        for dep in sorted(deps - used):
            if dep in rules and rules[dep]["hdrs"] and not rules[dep]["srcs"]:
                print("UNUSED  %s: %s" % (name, dep))
    print("%d targets, %d includes not declared" % (len(rules), missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
