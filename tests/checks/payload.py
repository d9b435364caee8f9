#!/usr/bin/env python
"""What each module of the collection ships: the collection's module_utils in its AnsiballZ payload.

AnsiballZ takes a module and, recursively, every module_utils file it imports (and the packages
they are in). This follows the same imports, statically, for the collection's own module_utils:

    python3 tests/checks/payload.py            # a table: module, files, lines, host-side lines
    python3 tests/checks/payload.py MODULE...  # the files of those modules too

Host-side files are those under plugins/module_utils/host/ (code for compute hosts).
"""
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = "ansible_collections.openstack_ops.precache.plugins.module_utils"
UTILS = os.path.join(ROOT, "plugins", "module_utils")


def _path(dotted):
    """The file of a module_utils module or package (dotted, under PREFIX), or None."""
    base = os.path.join(UTILS, *dotted.split(".")) if dotted else UTILS
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _imports(path):
    """The module_utils modules (dotted, under PREFIX) a file imports."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            base = node.module[len(PREFIX):].lstrip(".")
            names = [base] + ["%s.%s" % (base, a.name) if base else a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name[len(PREFIX):].lstrip(".") for a in node.names
                     if a.name.startswith(PREFIX)]
        for name in names:
            if name and _path(name):
                found.add(name)
                # The packages on the way there are in the payload too.
                parts = name.split(".")
                found.update(".".join(parts[:i]) for i in range(1, len(parts)) if _path(".".join(parts[:i])))
    return found


def payload(module_path):
    """Every module_utils file (path) the module carries."""
    seen, todo = set(), sorted(_imports(module_path))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_imports(_path(name)) - seen)
    return sorted(_path(name) for name in seen)


def _lines(path):
    with open(path) as handle:
        return sum(1 for _line in handle)


def main(selected):
    folder = os.path.join(ROOT, "plugins", "modules")
    host = os.path.join(UTILS, "host") + os.sep
    print("| module | module_utils files | lines | host-side lines |")
    print("| --- | --- | --- | --- |")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py") or name.startswith("_"):
            continue
        files = payload(os.path.join(folder, name))
        print("| %s | %d | %d | %d |" % (name[:-3], len(files), sum(map(_lines, files)),
                                         sum(_lines(f) for f in files if f.startswith(host))))
        if name[:-3] in selected:
            for path in files:
                print("|  | %s | %d | |" % (os.path.relpath(path, UTILS), _lines(path)))


if __name__ == "__main__":
    main(sys.argv[1:])
