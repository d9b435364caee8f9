# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The base of every error this collection raises for an operator to read."""


class PrecacheError(Exception):
    """Something the operator must know: the message says what failed, why and what to do."""
