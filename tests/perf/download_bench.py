#!/usr/bin/env python
# Copyright: (c) 2026, openstack_ops developers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Benchmark of plugins/module_utils/host/download.py against curl and a plain Python stream.

Each client downloads the same qcow2 image to the same disk in its own process, run under GNU
time for the process's peak RSS (wait4's ru_maxrss). Throughput is the image size over the
transfer time each client reports (curl: time_total), so Python's start-up and imports do
not count against the Python clients. The clients:
  curl    curl -o FILE
  plain   one thread reads 1 MiB, hashes it with sha512, writes it: the shape of openstacksdk's
          and Nova's download loops
  ours    download() from host/download.py with sha512 verified, in a process that has imported
          ansible.module_utils.basic first when it can (as the module's process has)
  signed  ours, also hashing for an image signature (sha256 beside sha512, as on a host whose
          Nova verifies signatures; the final check of the digest costs microseconds)
Sources (qcow2 of random data, made with qemu-img):
  default       a local server of this script, serving in 64 KiB reads and writes as
                glance_store's file backend does
  --glance URL  a Glance endpoint: the images are uploaded there, then deleted
  --url URL     an existing Glance image: .../v2/images/ID/file
See tests/perf/README.md for the command and the results.
"""

import argparse
import hashlib
import http.client
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GNU_TIME = "/usr/bin/time"
GLANCE_CHUNK = 64 * 1024
PLAIN_CHUNK = 1024 * 1024
UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def parse_size(text):
    match = re.match(r"^(\d+)([KMG]?)$", text.strip().upper())
    if not match:
        raise argparse.ArgumentTypeError("bad size %r (e.g. 1G, 512M)" % text)
    return int(match.group(1)) * UNITS[match.group(2)]


def format_size(size):
    for unit, factor in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2)):
        if size >= factor:
            return "%g %s" % (round(size / factor, 2), unit)
    return "%d B" % size


# ---- child processes: the local server, the source maker and the clients

def serve(root):
    import http.server  # only the server needs it: keeps the other processes small

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            try:
                source = open(os.path.join(root, os.path.basename(self.path)), "rb")
            except OSError:
                self.send_error(404)
                return
            with source:
                size = os.fstat(source.fileno()).st_size
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                while True:
                    chunk = source.read(GLANCE_CHUNK)
                    if not chunk:
                        break
                    self.wfile.write(chunk)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def make_source(path, size):
    """A qcow2 holding `size` bytes of random data (a 64 MiB block repeated: the hash costs
    the same); prints its size and sha512, and leaves it in the page cache."""
    block = os.urandom(min(size, 64 * 1024 * 1024))
    raw = path + ".raw"
    with open(raw, "wb") as handle:
        left = size
        while left:
            left -= handle.write(block[:left])
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, path], check=True)
    os.unlink(raw)
    hasher = hashlib.sha512()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(PLAIN_CHUNK)
            if not chunk:
                break
            hasher.update(chunk)
    print(json.dumps({"size": os.path.getsize(path), "sha512": hasher.hexdigest()}))


def client_plain(url, out, headers):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("GET", parts.path, headers=headers)
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit("plain: HTTP %d" % response.status)
    hasher = hashlib.sha512()
    with open(out, "wb") as handle:
        while True:
            chunk = response.read(PLAIN_CHUNK)
            if not chunk:
                break
            hasher.update(chunk)
            handle.write(chunk)
    return {"hash_value": hasher.hexdigest()}


def client_plain_timed(url, out, headers):
    """client_plain, timed from the request to the last byte written, as the others are."""
    started = time.monotonic()
    result = client_plain(url, out, headers)
    result["seconds"] = time.monotonic() - started
    return result


def client_ours(url, out, headers, meta, chunk_size, collections, signature_hash=None):
    try:
        import ansible.module_utils.basic  # noqa: F401 (the module process's baseline)
        baseline = "AnsibleModule imported"
    except ImportError:
        baseline = "without ansible-core"
    sys.path.insert(0, collections)
    module = importlib.import_module(
        "ansible_collections.openstack_ops.precache.plugins.module_utils.host.download")
    started = time.monotonic()
    with open(out, "wb") as handle:
        result = module.download(url, handle, headers=headers, size=meta["size"],
                                 hash_algo="sha512", hash_value=meta["sha512"],
                                 chunk_size=chunk_size or module.DEFAULT_CHUNK_SIZE,
                                 signature_hash=signature_hash)
    result["seconds"] = time.monotonic() - started
    result["baseline"] = baseline
    return result


# ---- Glance

def _headers(token_file):
    if not token_file:
        return {}
    with open(token_file) as handle:
        return {"X-Auth-Token": handle.read().strip()}


def _glance(method, url, headers, body=None, extra=None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    all_headers = dict(headers, **(extra or {}))
    if isinstance(body, dict):
        body = json.dumps(body)
        all_headers["Content-Type"] = "application/json"
    conn.request(method, parts.path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit("%s %s: HTTP %d %s" % (method, url, response.status, data[:300]))
    return json.loads(data) if data else None


def _glance_meta(image_url, headers):
    image = _glance("GET", re.sub(r"/file$", "", image_url), headers)
    if image.get("os_hash_algo") != "sha512":
        raise SystemExit("image has os_hash_algo %r, not sha512" % image.get("os_hash_algo"))
    return {"size": image["size"], "sha512": image["os_hash_value"]}


def _glance_upload(endpoint, headers, path, meta):
    image = _glance("POST", endpoint + "/v2/images", headers,
                    {"name": "download-bench-%s" % format_size(meta["size"]).replace(" ", ""),
                     "disk_format": "qcow2", "container_format": "bare"})
    with open(path, "rb") as handle:
        _glance("PUT", "%s/v2/images/%s/file" % (endpoint, image["id"]), headers, handle,
                {"Content-Type": "application/octet-stream", "Content-Length": str(meta["size"])})
    url = "%s/v2/images/%s/file" % (endpoint, image["id"])
    if _glance_meta(url, headers) != meta:
        raise SystemExit("Glance's size or sha512 of %s differ from the file's" % image["id"])
    return image["id"], url


# ---- the parent

def _run_client(args, name, url, out, meta):
    """Run one client under GNU time: its throughput and its process's peak RSS.

    GNU time is the launcher because on Linux a child's ru_maxrss also counts the process it
    was forked from: a tiny C launcher adds nothing, this Python script would add its own size.
    """
    if name == "curl":
        command = ["curl", "-sS", "--fail", "-o", out, "-w", '{"seconds": %{time_total}}', url]
        if args.token_file:
            # The token goes through a file, not the command line.
            header_file = os.path.join(args.dir, "curl-headers")
            with open(header_file, "w") as handle:
                handle.write("X-Auth-Token: %s\n" % _headers(args.token_file)["X-Auth-Token"])
            command[1:1] = ["-H", "@" + header_file]
    else:
        command = [args.python, os.path.abspath(__file__), "--client", name, url, out,
                   "--meta", json.dumps(meta), "--collections", _collections(args.dir)]
        if args.chunk_size:
            command += ["--chunk-size", str(args.chunk_size)]
        if args.token_file:
            command += ["--token-file", args.token_file]
    rss_file = os.path.join(args.dir, "maxrss")
    process = subprocess.run([GNU_TIME, "-f", "%M", "-o", rss_file] + command,
                             stdout=subprocess.PIPE, check=False)
    if process.returncode != 0:
        raise SystemExit("%s failed (status %d): %s" % (name, process.returncode, process.stdout))
    if os.path.getsize(out) != meta["size"]:
        raise SystemExit("%s wrote %d bytes, expected %d"
                         % (name, os.path.getsize(out), meta["size"]))
    report = json.loads(process.stdout)
    if name != "curl" and report["hash_value"] != meta["sha512"]:
        raise SystemExit("%s: sha512 mismatch" % name)
    with open(rss_file) as handle:
        rss_kib = int(handle.read().split()[-1])
    return {"mbps": meta["size"] / report["seconds"] / 1e6, "rss_mib": rss_kib / 1024.0,
            "baseline": report.get("baseline")}


def _collections(work):
    """A collection-shaped path to this repository, for the collection's own imports."""
    root = os.path.join(work, "collections")
    link = os.path.join(root, "ansible_collections", "openstack_ops", "precache")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link))
        os.symlink(REPO, link)
    return root


def _sources(args, headers, cleanup):
    """(label, url, meta) for each case; `cleanup` collects what to undo at the end."""
    if args.url:
        meta = _glance_meta(args.url, headers)
        return [("Glance, %s image" % format_size(meta["size"]), args.url, meta)]
    cases = []
    if not args.glance:
        server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve",
                                   args.dir], stdout=subprocess.PIPE)
        cleanup.append(lambda: (server.terminate(), server.wait()))
        port = int(server.stdout.readline())
    for size in args.sizes:
        name = "source-%d.qcow2" % size
        path = os.path.join(args.dir, name)
        made = subprocess.run([sys.executable, os.path.abspath(__file__), "--make-source", path,
                               str(size)], check=True, stdout=subprocess.PIPE)
        meta = json.loads(made.stdout)
        label = "%s qcow2" % format_size(size)
        if args.glance:
            image_id, url = _glance_upload(args.glance.rstrip("/"), headers, path, meta)
            cleanup.append(lambda image_id=image_id: _glance(
                "DELETE", "%s/v2/images/%s" % (args.glance.rstrip("/"), image_id), headers))
            os.unlink(path)
            cases.append(("Glance, " + label, url, meta))
        else:
            cases.append(("local server, " + label, "http://127.0.0.1:%d/%s" % (port, name), meta))
    return cases


def bench(args):
    if not os.access(GNU_TIME, os.X_OK):
        raise SystemExit("%s is missing: install GNU time (Debian/Ubuntu: apt-get install time)"
                         % GNU_TIME)
    headers = _headers(args.token_file)
    cleanup = []
    rows = []
    try:
        for label, url, meta in _sources(args, headers, cleanup):
            results = {name: [] for name in args.clients}
            for rep in range(args.repeat):
                # Rotate the order so that no client always runs right after the same other.
                turn = rep % len(args.clients)
                for name in args.clients[turn:] + args.clients[:turn]:
                    out = os.path.join(args.dir, "out-" + name)
                    result = _run_client(args, name, url, out, meta)
                    os.unlink(out)
                    os.sync()  # this run's writeback must not slow the next one down
                    results[name].append(result)
                    print("%s, %s, run %d: %.0f MB/s, peak RSS %.1f MiB, load %s"
                          % (label, name, rep + 1, result["mbps"], result["rss_mib"],
                             _loadavg()), file=sys.stderr, flush=True)
            rows.append((label, results))
    finally:
        for undo in reversed(cleanup):
            undo()
    print_table(rows)
    baselines = {r["baseline"] for runs in rows for r in runs[1].get("ours", [])}
    print("\nPython clients: %s (ours: %s); load average at the end: %s"
          % (_python_version(args.python), ", ".join(sorted(b for b in baselines if b)),
             _loadavg()))


def print_table(rows):
    print("| source | client | MB/s, median (min-max) | peak RSS MiB, max | vs curl | vs plain |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, results in rows:
        medians = {name: statistics.median(r["mbps"] for r in runs)
                   for name, runs in results.items()}
        for name, runs in results.items():
            speeds = [r["mbps"] for r in runs]
            ratios = ["%.2fx" % (medians[name] / medians[base]) if base in medians else "-"
                      for base in ("curl", "plain")]
            print("| %s | %s | %.0f (%.0f-%.0f) | %.1f | %s | %s |"
                  % (label, name, medians[name], min(speeds), max(speeds),
                     max(r["rss_mib"] for r in runs), ratios[0], ratios[1]))


def _loadavg():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def _python_version(python):
    return subprocess.run([python, "-c", "import sys; print('Python', sys.version.split()[0])"],
                          check=True, stdout=subprocess.PIPE).stdout.decode().strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda t: [parse_size(s) for s in t.split(",")],
                        default=[1024 ** 3, 4 * 1024 ** 3],
                        help="image sizes to make (default 1G,4G)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each client (default 3)")
    parser.add_argument("--dir", default=tempfile.gettempdir(),
                        help="where to make the work dir (sources and downloads, the same disk "
                             "for every client; default: the system's temp dir)")
    parser.add_argument("--clients", type=lambda t: t.split(","), default=["curl", "plain", "ours"])
    parser.add_argument("--glance", help="a Glance endpoint to upload the images to")
    parser.add_argument("--url", help="an existing Glance image's data URL")
    parser.add_argument("--token-file", help="a file holding the X-Auth-Token for Glance")
    parser.add_argument("--chunk-size", type=parse_size,
                        help="chunk size for ours (default: download.DEFAULT_CHUNK_SIZE)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the Python clients (default: this one)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--make-source", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--meta", help=argparse.SUPPRESS)
    parser.add_argument("--collections", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    elif args.make_source:
        make_source(args.make_source[0], int(args.make_source[1]))
    elif args.client:
        name, url, out = args.client
        headers = _headers(args.token_file)
        if name == "plain":
            result = client_plain_timed(url, out, headers)
        else:
            result = client_ours(url, out, headers, json.loads(args.meta), args.chunk_size,
                                 args.collections,
                                 hashlib.sha256() if name == "signed" else None)
            result.pop("signature_digest", None)
        print(json.dumps(result))
    else:
        args.dir = tempfile.mkdtemp(prefix="download-bench-", dir=args.dir)
        try:
            bench(args)
        finally:
            shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
