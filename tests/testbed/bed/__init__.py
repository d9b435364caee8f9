"""A real OpenStack test bed on loopback: Keystone, Glance, Nova and SSH compute hosts."""
