"""The walls of module_utils: which side's code may import which (docs/development.md)."""
import ast
import os
import sys

import pytest

PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                       "plugins")
PREFIX = "ansible_collections.openstack_ops.precache.plugins.module_utils."
HOST_MODULES = ("cache_image.py", "cache_progress.py", "image_cache_info.py", "image_serve.py")
# Optional libraries a side may import, guarded (inside try ... except ImportError).
GUARDED = {"common": {"cryptography"}, "host": {"cryptography"}}


def _files(*parts):
    folder = os.path.join(PLUGINS, *parts)
    for root, _dirs, names in os.walk(folder):
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(root, name)


def _imports(path):
    """(module name, guarded) for each import of the file; guarded: in a try that catches ImportError."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                h.type is None or "ImportError" in ast.dump(h.type) for h in node.handlers):
            for inner in node.body:
                guarded.update(id(n) for n in ast.walk(inner))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in guarded
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module, id(node) in guarded


def _side(module):
    if module.startswith(PREFIX):
        return module[len(PREFIX):].split(".")[0]
    return None


def test_every_module_utils_file_is_in_a_room():
    loose = [name for name in os.listdir(os.path.join(PLUGINS, "module_utils"))
             if name.endswith(".py") and name != "__init__.py"]
    assert loose == []


@pytest.mark.parametrize("side", ["controller", "common"])
def test_no_host_code_outside_the_host(side):
    for path in _files("module_utils", side):
        assert [m for m, _g in _imports(path) if _side(m) == "host"] == [], path


def test_common_imports_neither_side():
    for path in _files("module_utils", "common"):
        assert [m for m, _g in _imports(path) if _side(m) not in (None, "common")] == [], path


def test_the_controllers_plugins_ship_no_host_code():
    paths = [p for p in _files("modules") if os.path.basename(p) not in HOST_MODULES]
    for folder in ("action", "callback", "filter", "inventory", "plugin_utils", "doc_fragments"):
        paths.extend(_files(folder))
    for path in paths:
        assert [m for m, _g in _imports(path) if _side(m) == "host"] == [], path


@pytest.mark.skipif(not hasattr(sys, "stdlib_module_names"), reason="Python 3.10+ lists the stdlib")
@pytest.mark.parametrize("side", ["host", "common"])
def test_host_code_needs_only_the_standard_library_and_ansible(side):
    paths = list(_files("module_utils", side))
    if side == "host":
        paths += [os.path.join(PLUGINS, "modules", name) for name in HOST_MODULES]
    for path in paths:
        for module, guarded in _imports(path):
            top = module.split(".")[0]
            allowed = (top in sys.stdlib_module_names or module.startswith("ansible.module_utils")
                       or _side(module) in ("host", "common") and side == "host"
                       or _side(module) == "common"
                       or guarded and top in GUARDED[side])
            assert allowed, "%s imports %s" % (path, module)


@pytest.mark.parametrize("folder", ["module_utils", "plugin_utils"])
def test_no_file_is_over_350_lines(folder):
    for path in _files(folder):
        with open(path) as handle:
            lines = sum(1 for _line in handle)
        assert lines <= 350, "%s has %d lines" % (path, lines)
