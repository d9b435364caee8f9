"""ansible-inventory's JSON as plain data, for the targets' checks."""


def plain(value):
    """The JSON without the wrappers of unsafe (ansible-core 2.16) or untrusted strings."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
