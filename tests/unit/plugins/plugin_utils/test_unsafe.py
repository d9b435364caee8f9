"""unsafe(): cloud data as plain containers of strings Ansible never templates."""

from ansible.template import Templar
from ansible.parsing.dataloader import DataLoader
from ansible.utils.unsafe_proxy import AnsibleUnsafe, wrap_var

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 renders every string it is given
    def trust_as_template(text):
        return text

from ansible_collections.openstack_ops.precache.plugins.plugin_utils._unsafe import unsafe

TEMPLATE = "{{ 'ren' ~ 'dered' }}"


class LazyList(list):
    """Stands for ansible-core 2.19's lazy list: it cannot be built from an iterable."""

    def __init__(self, *args):
        if args:
            raise TypeError("Direct construction of lazy containers is not supported.")
        super().__init__()


def test_plain_containers_whatever_came_in():
    lazy = LazyList()
    lazy.extend([TEMPLATE, {"k": (1, TEMPLATE)}])
    value = unsafe({"lines": lazy, "ids": {"a"}, "n": 3, "none": None, TEMPLATE: True})
    assert value == {"lines": [TEMPLATE, {"k": [1, TEMPLATE]}], "ids": ["a"], "n": 3,
                     "none": None, TEMPLATE: True}
    assert not isinstance(value["lines"], LazyList) and isinstance(value["lines"][1]["k"], list)


def test_no_string_is_rendered():
    value = unsafe({"name": TEMPLATE, "tags": [TEMPLATE]})
    templar = Templar(loader=DataLoader(), variables={"value": value})
    assert templar.template(trust_as_template("{{ value }}")) == {"name": TEMPLATE, "tags": [TEMPLATE]}
    if isinstance(wrap_var("x"), AnsibleUnsafe):  # ansible-core before 2.19 marks the type
        assert isinstance(value["name"], AnsibleUnsafe)
        assert isinstance(value["tags"][0], AnsibleUnsafe)
