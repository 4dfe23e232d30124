#!/usr/bin/env python3
"""mkcpio.py: write a cpio "newc" archive, the boot image kine loads programs from.

    mkcpio.py --output OUT.cpio NAME=PATH [NAME=PATH ...]

Each NAME=PATH becomes a regular file NAME (mode 0100755, owner 0:0) holding
the bytes of PATH, in the order given; the archive ends with the entry
TRAILER!!!. The layout is the one src/lib/cpio.c reads (and GNU cpio
writes): a 110-byte header ("070701" and thirteen 8-digit hex fields), the
name and its NUL padded with zeros so that header and name end 4-byte
aligned, then the data padded to 4 bytes.

Deterministic: mtime 0, inode numbers 1, 2, ... in argument order, nlink 1,
device numbers 0, so the same inputs always give the same bytes. Names are
flat (no "/"): kine's exec looks programs up by base name.

Python 3 standard library only (used by user/defs.bzl's kine_boot_image).
"""

import argparse
import sys

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
MODE_FILE = 0o100755
MAX_FIELD = 0xFFFFFFFF


def pad4(n):
    return (4 - n % 4) % 4


def entry(name, data, ino, mode, nlink):
    """One archive entry: header, name, padding, data, padding."""
    raw_name = name.encode("utf-8") + b"\0"
    fields = [
        ino,            # c_ino
        mode,           # c_mode
        0,              # c_uid
        0,              # c_gid
        nlink,          # c_nlink
        0,              # c_mtime
        len(data),      # c_filesize
        0, 0,           # c_devmajor, c_devminor
        0, 0,           # c_rdevmajor, c_rdevminor
        len(raw_name),  # c_namesize (NUL included)
        0,              # c_check (unused by newc)
    ]
    header = MAGIC + b"".join(b"%08X" % f for f in fields)
    assert len(header) == 110
    out = header + raw_name + b"\0" * pad4(len(header) + len(raw_name))
    return out + data + b"\0" * pad4(len(data))


def check_name(name):
    if not name or "/" in name or "\0" in name or name in (".", "..", TRAILER):
        raise SystemExit("mkcpio.py: bad file name %r (flat names only, no '/')" % name)


def archive(files):
    """files: [(name, bytes)] -> the archive's bytes."""
    out = []
    seen = set()
    for ino, (name, data) in enumerate(files, start=1):
        check_name(name)
        if name in seen:
            raise SystemExit("mkcpio.py: %s given twice" % name)
        seen.add(name)
        if len(data) > MAX_FIELD:
            raise SystemExit("mkcpio.py: %s is too large for cpio newc" % name)
        out.append(entry(name, data, ino, MODE_FILE, 1))
    out.append(entry(TRAILER, b"", 0, 0, 1))
    return b"".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write a cpio newc archive of NAME=PATH files.")
    parser.add_argument("--output", required=True, help="the archive to write")
    parser.add_argument("files", nargs="*", metavar="NAME=PATH",
                        help="store the bytes of PATH as the regular file NAME")
    args = parser.parse_args(argv)
    files = []
    for spec in args.files:
        name, sep, path = spec.partition("=")
        if not sep:
            parser.error("%r is not NAME=PATH" % spec)
        with open(path, "rb") as f:
            files.append((name, f.read()))
    data = archive(files)
    with open(args.output, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
