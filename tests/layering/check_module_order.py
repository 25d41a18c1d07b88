#!/usr/bin/env python3
"""The library's layering: every #include "scir/<module>/..." in src/scir/<module>/ names a module
at or below its own in the order docs/ARCHITECTURE.md states ("Module order, lowest first: a <- b
<- ..."; modules listed as "x, y" share a level). Prints each include that points up, with its
file and line, and exits 1; exits 0 when there is none.
Usage: python3 tests/layering/check_module_order.py SOURCE_DIR"""
import os
import re
import sys


def module_levels(architecture):
    text = open(architecture, encoding="utf-8").read()
    match = re.search(r"Module order, lowest first:(.*?)\.(\s|$)", text, re.S)
    assert match, f"{architecture}: no 'Module order, lowest first:' line"
    levels = {}
    for level, names in enumerate(match.group(1).replace("\n", " ").split("<-")):
        for name in names.split(","):
            levels[name.strip()] = level
    return levels


def violations(source_dir, levels):
    root = os.path.join(source_dir, "src", "scir")
    found = []
    for module in sorted(os.listdir(root)):
        directory = os.path.join(root, module)
        if not os.path.isdir(directory):
            continue
        assert module in levels, f"module {module} is not in ARCHITECTURE.md's module order"
        for path, _, files in os.walk(directory):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                file = os.path.join(path, name)
                for number, line in enumerate(open(file, encoding="utf-8"), 1):
                    include = re.match(r'\s*#\s*include\s+"scir/([a-z_]+)/', line)
                    if include and levels.get(include.group(1), -1) > levels[module]:
                        found.append(f"{os.path.relpath(file, source_dir)}:{number}: {module} "
                                     f"includes {include.group(1)}, which is above it")
    return found


def main():
    source_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    levels = module_levels(os.path.join(source_dir, "docs", "ARCHITECTURE.md"))
    found = violations(source_dir, levels)
    for line in found:
        print(line)
    print(f"module order: {len(found)} includes point up")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
