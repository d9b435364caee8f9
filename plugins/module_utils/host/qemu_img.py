# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""qemu-img as Nova runs it: C locale, always told the format, info and map under Nova's limits.

The limits are [libvirt] images_cpu_time_limit and images_address_space_limit, set by
util-linux's prlimit or, without it, by a fresh Python process that then becomes qemu-img.
"""

import json
import os
import re
import shutil
import subprocess
import sys

from ansible_collections.openstack_ops.precache.plugins.module_utils.host.inspector import (
    ImageFormatError)

_MIB = 1024 * 1024


GIB = 1024 ** 3
# Nova's defaults for [libvirt] images_cpu_time_limit (s) and images_address_space_limit (GiB).
QEMU_IMG_CPU_TIME = 30
QEMU_IMG_ADDRESS_SPACE = 2 * GIB
# Where util-linux's prlimit is missing: run by the Python running this module, set the limits,
# then become qemu-img. A fresh process rather than a preexec_fn, which is unsafe while other
# threads run; oslo.concurrency's prlimit works this way too.
_LIMITED_EXEC = """
import os, resource, sys
for res, value in ((resource.RLIMIT_CPU, int(sys.argv[1])), (resource.RLIMIT_AS, int(sys.argv[2]))):
    hard = resource.getrlimit(res)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(res, (value, value))
os.execv(sys.argv[3], sys.argv[3:])
"""
_C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}
_MAP_LINE = re.compile(br'"length": (\d+)')


def _tail(text, limit=500):
    text = text.strip()
    return text if len(text) <= limit else '...' + text[-limit:]


def _passed_fds(paths):
    """The descriptors behind /proc/self/fd/N paths, which qemu-img must inherit."""
    prefix = '/proc/self/fd/'
    return [int(path[len(prefix):]) for path in paths if path.startswith(prefix)]


class QemuImg:
    """qemu-img as Nova runs it: C locale, always told the format, ``info`` under limits.

    ``run_command`` runs the commands: ``AnsibleModule.run_command``, or a function taking
    the same arguments and returning ``(rc, stdout, stderr)``. ``cpu_time`` (seconds) and
    ``address_space`` (bytes) default to Nova's ``[libvirt] images_cpu_time_limit`` and
    ``images_address_space_limit``. Paths may be ``/proc/self/fd/N``: qemu-img then inherits
    descriptor N and reads exactly the file that was checked, whatever its name meanwhile.
    qemu-img is never left to probe a format, which would let the data choose what it opens.
    """

    def __init__(self, run_command, binary='qemu-img', cpu_time=QEMU_IMG_CPU_TIME,
                 address_space=QEMU_IMG_ADDRESS_SPACE):
        self._run_command = run_command
        self.binary = binary
        self.cpu_time = cpu_time
        self.address_space = address_space

    def available(self):
        """Whether the qemu-img binary can be found."""
        return shutil.which(self.binary) is not None

    def require(self):
        """The qemu-img binary's path; fails with what to install when there is none."""
        path = shutil.which(self.binary)
        if path is None:
            raise ImageFormatError(
                '%s not found: it inspects and converts images as Nova does; install qemu-utils '
                '(Debian, Ubuntu) or qemu-img (RHEL, CentOS), which libvirt compute hosts '
                'normally have' % self.binary)
        return path

    def _limited_command(self, *args):
        """qemu-img with ``args`` under Nova's CPU time and address space limits.

        util-linux's prlimit sets them; without it, the Python running this module does (which
        Nova's user may not be allowed to run from, say, a venv in root's home).
        """
        prlimit = shutil.which('prlimit')
        if prlimit:
            return [prlimit, '--cpu=%d' % self.cpu_time, '--as=%d' % self.address_space,
                    self.require()] + list(args)
        return [sys.executable, '-I', '-S', '-c', _LIMITED_EXEC, str(self.cpu_time),
                str(self.address_space), self.require()] + list(args)

    def _limited(self, what, fmt, path):
        """``qemu-img <what> -f fmt --output=json path`` under Nova's limits, parsed."""
        try:
            rc, out, err = self._run_command(
                self._limited_command(what, '-f', fmt, '--output=json', *(
                    ['--force-share', path] if what == 'info' else [path])),
                environ_update=_C_LOCALE, expand_user_and_vars=False,
                errors='surrogate_then_replace', pass_fds=_passed_fds([path]),
                handle_exceptions=False)
        except OSError as exc:
            raise ImageFormatError('cannot run qemu-img %s: %s' % (what, exc)) from None
        limits = '%d s CPU time, %d MiB address space' % (self.cpu_time,
                                                          self.address_space // _MIB)
        if rc < 0:
            raise ImageFormatError(
                'qemu-img %s was killed by signal %d within its limits (%s): the image is '
                'malformed or hostile, or the limits ([libvirt] images_cpu_time_limit, '
                'images_address_space_limit) are too low' % (what, -rc, limits))
        if rc:
            raise ImageFormatError('qemu-img %s failed (exit status %d; limits: %s): %s'
                                   % (what, rc, limits, _tail(err)))
        try:
            data = json.loads(out)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ImageFormatError("qemu-img %s printed no JSON object ('qemu-img %s' "
                                   "parsing failed): %s" % (what, what, _tail(out)))
        return data

    def info(self, path, fmt):
        """``qemu-img info -f fmt --output=json --force-share`` of ``path``, parsed."""
        return self._limited('info', fmt, path)

    def data_size(self, path, fmt):
        """Bytes of data (not zeros, not holes) a raw conversion of ``path`` writes.

        Summed from ``qemu-img map`` line by line as it prints, under Nova's limits, so that
        an image of a million extents costs no memory.
        """
        # run_command can neither stream a command's output nor watch it while it runs.
        process = subprocess.Popen(  # pylint: disable=consider-using-with,ansible-bad-function
            self._limited_command('map', '-f', fmt, '--output=json', path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, **_C_LOCALE), pass_fds=_passed_fds([path]))
        total = 0
        with process:
            for line in process.stdout:
                match = _MAP_LINE.search(line)
                if match and b'"data": true' in line:
                    total += int(match.group(1))
            err = process.stderr.read(4096)
        if process.returncode:
            raise ImageFormatError('qemu-img map failed (exit status %d): %s'
                                   % (process.returncode, _tail(err.decode('utf-8', 'replace'))))
        return total

    def convert(self, src, dst, src_format, cache_mode, watch=None, interval=0.2):
        """``qemu-img convert -t cache_mode -O raw -f src_format src dst``, as Nova runs it.

        ``watch``, called every ``interval`` seconds while it runs, may raise to stop it: the
        conversion is then killed and the exception passes on.
        """
        # run_command can neither stream a command's output nor watch it while it runs.
        process = subprocess.Popen(  # pylint: disable=consider-using-with,ansible-bad-function
            [self.require(), 'convert', '-t', cache_mode, '-O', 'raw', '-f', src_format, src,
             dst], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=dict(os.environ, **_C_LOCALE), pass_fds=_passed_fds([src, dst]))
        try:
            while True:
                try:
                    _out, err = process.communicate(timeout=interval)
                    break
                except subprocess.TimeoutExpired:
                    if watch is not None:
                        watch()
        except BaseException:
            process.kill()
            process.communicate()
            raise
        if process.returncode:
            raise ImageFormatError('Unable to convert image to raw: qemu-img convert failed '
                                   '(exit status %d): %s'
                                   % (process.returncode,
                                      _tail(err.decode('utf-8', 'replace'))))
