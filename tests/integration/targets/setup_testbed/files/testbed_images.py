"""Real test images in the test bed's Glance: upload them and print a plan, or delete them.

`testbed_images.py CONFIG publish NAME:FORMAT:VIRTUAL_MIB:DATA_MIB[:OPTION...] ...` uploads one
image per spec (random data inside a larger virtual disk, converted with qemu-img;
`NAME:FORMAT:file=PATH[:OPTION...]` uploads that file as it is, a hostile one say) and prints
JSON: the plan of each by NAME (shaped as validate_images returns it), `expected_raw_sha512`
(id -> the sha512 of the raw disk, what a host caches after a conversion to raw), the Glance
endpoint and a token of the demo user. `testbed_images.py CONFIG delete FILE` deletes the images
of such an output. CONFIG is the integration_config.yml that ansible-test hands to a target.

Signed images, as an operator signs them (Glance's "Image signing and certificate validation"),
with the test bed's PKI (testbed_pki.py), by OPTIONs after the spec:
  sign=CERT   sign the uploaded file with CERT's key: rsa (RSA-PSS over SHA-256), ecc (ECDSA
              over SHA-384), untrusted (self-signed) or expired (like rsa);
  tamper      sign other data than what is uploaded: the signature does not match the image;
  cert=VALUE  img_signature_certificate_uuid is VALUE instead of CERT's uuid: the name of
              another PKI secret (ca, rsa, ecc, untrusted, expired, opaque), `random` (a uuid
              Barbican does not have) or a literal value.
A signed image's plan carries img_signature, img_signature_hash_method, img_signature_key_type
and img_signature_certificate_uuid, and the output gains `pki` (name -> Barbican secret uuid),
`key_manager_endpoint` and `admin_token` (the demo user's token reads the PKI's secrets).
`testbed_images.py CONFIG pki` prints those three and the token alone.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid

import testbed_pki
from testbed_cloud import connect

MIB = 1024 * 1024


def make_image(workdir, disk_format, virtual, data):
    raw = os.path.join(workdir, uuid.uuid4().hex + ".raw")
    with open(raw, "wb") as disk:
        disk.truncate(virtual)
        disk.seek(MIB)
        disk.write(os.urandom(data))
    with open(raw, "rb") as disk:
        raw_sha512 = hashlib.sha512(disk.read()).hexdigest()
    if disk_format == "raw":
        return raw, raw_sha512
    path = raw[:-4] + "." + disk_format
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", disk_format, raw, path], check=True)
    return path, raw_sha512


SIGNATURE_PROPERTIES = ("img_signature", "img_signature_hash_method", "img_signature_key_type",
                        "img_signature_certificate_uuid")


def parse_spec(spec):
    """(name, disk_format, virtual MiB, data MiB or None, file or None, {option: value})."""
    key, disk_format, virtual, *rest = spec.split(":")
    if virtual.startswith("file="):
        path, data, virtual = virtual[len("file="):], None, "0"
    else:
        path, data, rest = None, int(rest[0]), rest[1:]
    options = dict(field.partition("=")[::2] for field in rest)
    unknown = set(options) - {"sign", "tamper", "cert"}
    if unknown:
        sys.exit("spec %s: unknown option(s) %s" % (spec, ", ".join(sorted(unknown))))
    if "sign" in options and options["sign"] not in testbed_pki.SIGNING:
        sys.exit("spec %s: sign= is one of %s" % (spec, ", ".join(testbed_pki.SIGNING)))
    if set(options) - {"sign"} and "sign" not in options:
        sys.exit("spec %s: tamper and cert= need sign=" % spec)
    return key, disk_format, int(virtual), data, path, options


def _chunks(path, tamper):
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(MIB), b"")
    if tamper:  # other data than the upload: Glance's os_hash_value still matches the image
        yield b"tampered"


def signature_properties(pki, path, options):
    """The four img_signature* properties of the file at path, as options ask for them."""
    signature, hash_method, key_type = pki.sign(options["sign"],
                                                _chunks(path, "tamper" in options))
    cert = options.get("cert", options["sign"])
    cert_uuid = str(uuid.uuid4()) if cert == "random" else pki.uuids.get(cert, cert)
    return dict(zip(SIGNATURE_PROPERTIES, (signature, hash_method, key_type, cert_uuid)))


def key_manager(config_path, admin):
    """The test bed's PKI (made on first use), the key manager's URL and the two tokens."""
    with open(config_path) as handle:
        pki_dir = json.load(handle)["testbed"]["barbican"]["pki_dir"]
    endpoint = admin.endpoint_for("key-manager", interface="public").rstrip("/")
    demo = connect(config_path, "precache-demo")
    pki = testbed_pki.ensure(pki_dir, endpoint, admin.auth_token, demo.current_user_id)
    return pki, {"pki": pki.uuids, "key_manager_endpoint": endpoint,
                 "admin_token": admin.auth_token, "token": demo.auth_token}


def publish(config_path, specs):
    specs = [parse_spec(spec) for spec in specs]
    admin = connect(config_path, "precache-admin")
    endpoint = admin.image.get_endpoint().rstrip("/")
    endpoint = endpoint[:-3] if endpoint.endswith("/v2") else endpoint
    plan, expected, output = {}, {}, {}
    pki = None
    if any("sign" in spec[5] for spec in specs):
        pki, output = key_manager(config_path, admin)
    with tempfile.TemporaryDirectory() as workdir:
        for key, disk_format, virtual, data, path, options in specs:
            if path:
                raw_sha512 = None
            else:
                path, raw_sha512 = make_image(workdir, disk_format, virtual * MIB, data * MIB)
            image = admin.image.create_image(
                name="precache-test-%s-%s" % (key, uuid.uuid4().hex[:6]), filename=path,
                disk_format=disk_format, container_format="bare", visibility="public",
                wait=True)
            signature = {}
            if "sign" in options:
                # Set after the upload: Glance verifies a signature only while it receives the
                # data, and then refuses any it cannot verify (its castellan has no key manager
                # configured here: every upload would be a 400). Set afterwards, a tampered,
                # untrusted or expired signature stays on an active image, which is what the
                # consumers of these images (Nova, the collection) must catch themselves.
                signature = signature_properties(pki, path, options)
                admin.image.update_image(image, **signature)
            image = admin.image.get_image(image)
            plan[key] = dict({
                "id": image.id, "name": image.name, "size": image.size,
                "virtual_size": image.virtual_size or virtual * MIB or None,
                "disk_format": image.disk_format, "container_format": image.container_format,
                "checksum": image.checksum, "os_hash_algo": image.hash_algo,
                "os_hash_value": image.hash_value,
                "url": "%s/v2/images/%s/file" % (endpoint, image.id)},
                **{name: image.properties.get(name) for name in signature})
            expected[image.id] = raw_sha512
    output.update(plan=plan, expected_raw_sha512=expected, image_endpoint=endpoint)
    output.setdefault("token", connect(config_path, "precache-demo").auth_token)
    json.dump(output, sys.stdout, indent=2)


def print_key_manager(config_path):
    json.dump(key_manager(config_path, connect(config_path, "precache-admin"))[1], sys.stdout,
              indent=2)


def delete(config_path, published_path):
    admin = connect(config_path, "precache-admin")
    with open(published_path) as handle:
        plan = json.load(handle)["plan"]
    for image in plan.values():
        admin.image.delete_image(image["id"], ignore_missing=True)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[2] == "publish":
        publish(sys.argv[1], sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[2] == "delete":
        delete(sys.argv[1], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[2] == "pki":
        print_key_manager(sys.argv[1])
    else:
        sys.exit("usage: testbed_images.py CONFIG publish NAME:FORMAT:VIRTUAL_MIB:DATA_MIB"
                 "[:OPTION...] ... | testbed_images.py CONFIG delete FILE"
                 " | testbed_images.py CONFIG pki")
