# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The waves of a batch in fetch-once-per-site mode (docs/sites.md): who takes the images from
whom, so that each site pulls one copy over its WAN link and the rest moves over its LAN.

In each site, wave 0 is its seeds, which download from Glance (hosts flagged as seeds, else the
first host by name; none when a host of the site already serves from an earlier batch). In each
later wave every host that has the images serves at most `fanout` hosts that do not, so a site
of N hosts needs about log(N)/log(1 + fanout) waves. A host's sources are the server it is given
first, then up to `alternates` other hosts of its site that had the images a wave before. Every
host of a site stages what it gets (a hard link, mostly), so that later waves and the site's
hosts of later batches can take from it. A host without a site value is a site of its own, and
stages nothing.

The site values are a tenant's or a cloud's data (an availability zone's name): they only
group hosts, and are never templated or printed raw.
"""

MAX_ALTERNATES = 2


class SitePlan:
    """The plan of one batch: `hosts` {host: its entry}, `waves` (how many), `sites` {site:
    its hosts in wave order}."""

    def __init__(self):
        self.hosts = {}
        self.sites = {}
        self.waves = 0

    def as_dict(self):
        return {"hosts": self.hosts, "sites": self.sites, "waves": self.waves}


def _entry(site, wave, sources):
    return {"site": site, "wave": wave, "seed": not sources, "sources": sources,
            "stage": site is not None}


def plan_waves(hosts, site_of, is_seed=None, fanout=2, serving=None, alternates=MAX_ALTERNATES):
    """The SitePlan of `hosts` (names, in the batch's order).

    `site_of(host)` is the host's site value (None or "" for none); `is_seed(host)` whether it
    is flagged a seed; `serving` {site: hosts of earlier batches that serve it now}.
    """
    if int(fanout) < 1:
        raise ValueError("the site fan-out must be 1 or more peers per host, not %r" % fanout)
    fanout, is_seed, serving = int(fanout), is_seed or (lambda host: False), serving or {}
    plan, members = SitePlan(), {}
    for host in hosts:
        site = site_of(host)
        key = ("site", str(site)) if site not in (None, "") else ("host", host)
        members.setdefault(key, []).append(host)
    for (kind, name), group in members.items():
        site = name if kind == "site" else None
        earlier = [host for host in serving.get(site, []) if host not in group] if site else []
        waves = _site_waves(sorted(group), is_seed, fanout, earlier)
        for wave, assigned in enumerate(waves):
            for host, sources in assigned:
                plan.hosts[host] = _entry(site, wave, sources)
        _add_alternates(plan, waves, earlier, alternates)
        plan.sites[site if site is not None else host_site(group[0])] = [
            host for assigned in waves for host, _sources in assigned]
        plan.waves = max(plan.waves, len(waves))
    return plan


def host_site(host):
    """The name a site of one host without a site value goes by in a plan's `sites`."""
    return "host %s" % host


def _site_waves(group, is_seed, fanout, earlier):
    """[[(host, [its first source])] per wave] for one site's hosts of this batch."""
    if earlier:
        have, waves = list(earlier), []
        left = list(group)
    else:
        seeds = [host for host in group if is_seed(host)] or group[:1]
        waves = [[(host, []) for host in seeds]]
        have = list(seeds)
        left = [host for host in group if host not in seeds]
    while left:
        wave, servers = [], list(have)
        for index, host in enumerate(left[:len(servers) * fanout]):
            wave.append((host, [servers[index % len(servers)]]))
        left = left[len(wave):]
        have += [host for host, _sources in wave]
        waves.append(wave)
    return waves


def _add_alternates(plan, waves, earlier, alternates):
    """Give each peer up to `alternates` more sources that had the images before its wave."""
    have = list(earlier)
    for assigned in waves:
        for host, _sources in assigned:
            entry = plan.hosts[host]
            if entry["sources"]:
                others = [other for other in have if other not in entry["sources"]]
                entry["sources"] += others[:alternates]
        have += [host for host, _sources in assigned]
