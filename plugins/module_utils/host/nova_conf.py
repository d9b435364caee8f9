# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""nova.conf read as oslo.config reads it, for the options nova-compute's image cache uses.

Later files win, `$name` and `${group.name}` references resolve, options are found under their
old names, and values are typed as oslo.config types them (booleans, integers, lists, choices).
Which files to read is deployments.py's job; what the cache settings are, settings.py's.
"""

import os
import string

from ansible_collections.openstack_ops.precache.plugins.module_utils.common.errors import (
    PrecacheError)
from ansible_collections.openstack_ops.precache.plugins.module_utils.host.nova_options import (
    OPTIONS, registered)


class NovaConfError(PrecacheError):
    """nova.conf could not be found, read or resolved; the message says what to do."""


class _Template(string.Template):
    # oslo.config's pattern: dots allow ${group.name}; string.Template matches it ignoring case.
    idpattern = r"[_a-z][\._a-z0-9]*"


def rooted(root, path):
    """`path` on the host, under `root` (tests build a fake host in a directory)."""
    return path if root == "/" else os.path.join(root, path.lstrip("/"))


def _group_key(section):
    # oslo.config folds section names to lower case, except DEFAULT (so [default] is not it).
    return section if section == "DEFAULT" else section.lower()


def _parse_error(filename, lineno, what, line):
    return NovaConfError("cannot parse %s, line %d: %s: %r; nova-compute cannot read this file "
                         "either: fix it" % (filename, lineno, what, line))


def _split_assignment(line, filename, lineno):
    colon, equal = line.find(":"), line.find("=")
    if colon < 0 and equal < 0:
        raise _parse_error(filename, lineno, "no '=' or ':' in assignment", line)
    cut = equal if colon < 0 or 0 <= equal < colon else colon
    key, value = line[:cut].strip(), line[cut + 1:].strip()
    if not key:
        raise _parse_error(filename, lineno, "empty key", line)
    if value and value[0] == value[-1] and value.startswith(("'", '"')):
        value = value[1:-1]
    return key, value


def parse_ini(lines, filename):
    """Parse nova.conf text as oslo.config's iniparser does.

    Returns {group: {key: [value, ...]}} with every value a key got in this file, in order; group
    names folded as oslo.config folds them, keys kept as written (they are case-sensitive).
    Continuation lines (starting with a space or tab) join the value with newlines; a blank or
    comment line ends it; `#` and `;` start comments only at the start of a line.
    """
    sections = {}
    group = None
    key, value = None, []
    lineno = 0

    def assign():
        if group is None:
            raise _parse_error(filename, lineno, "option before any [section]", key)
        sections[group].setdefault(key, []).append("\n".join(value))

    for lineno, line in enumerate(lines, 1):
        line = line.rstrip()
        if line.startswith((" ", "\t")):
            if key is None:
                raise _parse_error(filename, lineno, "unexpected continuation line", line)
            value.append(line.lstrip())
            continue
        if key is not None:
            assign()
            key, value = None, []
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise _parse_error(filename, lineno, "section must end with ]", line)
            if len(line) <= 2:
                raise _parse_error(filename, lineno, "empty section name", line)
            group = _group_key(line[1:-1])
            sections.setdefault(group, {})
        else:
            key, first = _split_assignment(line, filename, lineno)
            value = [first]
    if key is not None:
        assign()
    return sections


def _read(root, path):
    try:
        with open(rooted(root, path), encoding="utf-8") as handle:
            return parse_ini(handle.readlines(), path)
    except PermissionError as exc:
        raise NovaConfError("cannot read %s: %s; run the task as root (become: true)"
                            % (path, exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NovaConfError("cannot read %s: %s" % (path, exc)) from None


class _References:
    """The mapping string.Template asks for `$name` values, as oslo.config's StrSubWrapper."""

    def __init__(self, conf, group):
        self._conf = conf
        self._group = group

    def __getitem__(self, key):
        return self._conf.reference(key, self._group)


class NovaConf:
    """nova.conf files read as oslo.config reads them for nova-compute.

    `files` are read in order and later files win, as with repeated `--config-file`. Within a
    file the last assignment of a key wins, and an option's current name wins over its old
    names; a later file wins over an earlier one even when it uses an old name.
    """

    def __init__(self, files, root="/"):
        self.files = list(files)
        self.notes = []
        self._parsed = [_read(root, path) for path in self.files]
        self._resolving = []

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def error(self, text):
        """A NovaConfError naming the option being resolved, for messages from within get()."""
        if self._resolving:
            group, name, source = self._resolving[-1]
            where = "from %s" % source if source else "Nova's default"
            text = "[%s] %s (%s): %s" % (group, name, where, text)
            if len(self._resolving) > 1:
                text += " (needed for [%s] %s)" % self._resolving[0][:2]
        return NovaConfError(text)

    def is_set(self, group, name):
        return self._lookup([(group, name)]) is not None

    def _lookup(self, names):
        """(value, file) of the first of `names` set in the last file setting any of them."""
        for path, sections in zip(reversed(self.files), reversed(self._parsed)):
            for group, name in names:
                values = sections.get(group, {}).get(name)
                if values:
                    return values[-1], path
        return None

    def get(self, group, name):
        """The value nova-compute uses for [group] name: interpolated and typed.

        Options this module does not know are returned as strings when a file sets them.
        """
        real = registered(group, name)
        convert, default, old_names = OPTIONS[real] if real else (None, None, ())
        if any(entry[:2] == (group, name) for entry in self._resolving):
            chain = " -> ".join("[%s] %s" % entry[:2] for entry in self._resolving)
            raise self.error("circular reference: %s -> [%s] %s" % (chain, group, name))
        # Like oslo.config, an option asked for by an old name is looked up in the group asked.
        found = self._lookup([(group, real[1] if real else name)] + list(old_names))
        if found is None and real is None:
            raise self.error("nova.conf does not set [%s] %s and this module does not know its "
                             "default; set it in nova.conf" % (group, name))
        if found is not None:
            value = found[0]
        elif callable(default):
            value = default(self)  # outside the stack, so errors name the option referring to it
        else:
            value = default
        self._resolving.append((group, name, found[1] if found else None))
        try:
            value = self._substitute(value, group)
            if convert is None:
                return value
            try:
                return convert(value)
            except ValueError as exc:
                raise self.error("%s; nova-compute cannot use this value either: fix it" % exc) \
                    from None
        finally:
            self._resolving.pop()

    def _substitute(self, value, group):
        if isinstance(value, list):
            return [self._substitute(item, group) for item in value]
        if not isinstance(value, str):
            return value
        # oslo.config treats \$ like $$, an escaped dollar.
        return _Template(value.replace("\\$", "$$")).safe_substitute(_References(self, group))

    def reference(self, key, group):
        """The text `$key` stands for in a value of `group`, resolved as oslo.config does.

        `$name` is the option of that name in the same group if nova registers one there, else
        the [DEFAULT] one; `${group.name}` names the group (never DEFAULT: oslo.config has no
        group of that name and fails).
        """
        if "." in key:
            ref_group, name = key.split(".", 1)
            if not name:
                raise self.error("oslo.config reads the dot in $%s as part of the name, a "
                                 "reference to group [%s], so nova-compute fails on it too; "
                                 "write ${%s}" % (key, ref_group, ref_group))
            if ref_group == "DEFAULT":
                raise self.error("${%s} cannot be resolved: oslo.config has no group named "
                                 "DEFAULT for references, so nova-compute fails on it too; "
                                 "write ${%s}" % (key, name))
            if ref_group != ref_group.lower():
                raise self.error("${%s} cannot be resolved: nova has no group [%s] (group names "
                                 "in references are lower case), so nova-compute fails on it too"
                                 % (key, ref_group))
        elif group != "DEFAULT" and (registered(group, key) or (
                not registered("DEFAULT", key) and self.is_set(group, key))):
            ref_group, name = group, key
        else:
            ref_group, name = "DEFAULT", key
        if not registered(ref_group, name) and not self.is_set(ref_group, name):
            raise self.error("$%s: nova.conf does not set [%s] %s and this module does not know "
                             "its default; set it in nova.conf, or write ${name} if the name ends "
                             "before a letter, digit, '_' or '.' (names are case-sensitive)"
                             % (key, ref_group, name))
        value = self.get(ref_group, name)
        return "" if value is None else str(value)
