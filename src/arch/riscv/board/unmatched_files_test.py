#!/usr/bin/env python3
"""unmatched_files_test: what //src/arch/riscv/board:unmatched hands to U-Boot is what it checks.

- Image: the 64-byte RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst):
  magic "RISCV\\0\\0\\0" at 48, magic2 "RSC\\x05" at 56, version 0.2, text_offset 0x200000
  (booti places the image at RAM base + text_offset: 0x80200000, above OpenSBI), and an
  image_size that covers the file and the bss after it (booti reserves that much);
- boot.scr: a legacy uImage of type "script" (what `source` accepts), holding the booti line;
- initrd.cpio: a newc cpio archive (magic 070701) that holds init and stress.
"""
import os
import struct
import sys
import zlib


def main():
    base = os.path.join(os.environ.get("TEST_SRCDIR", "."), os.environ.get("TEST_WORKSPACE", "kine"),
                        "src/arch/riscv/board/unmatched")
    problems = []

    img = open(os.path.join(base, "Image"), "rb").read()
    code0, code1, text_offset, image_size, flags, version, _r1, _r2, magic, magic2, _r3 = \
        struct.unpack("<IIQQQIIQ8s4sI", img[:64])
    if magic != b"RISCV\0\0\0":
        problems.append("Image magic %r" % magic)
    if magic2 != b"RSC\x05":
        problems.append("Image magic2 %r" % magic2)
    if version != 2:
        problems.append("Image header version %#x, want 0.2" % version)
    if text_offset != 0x200000:
        problems.append("text_offset %#x, want 0x200000" % text_offset)
    if image_size < len(img):
        problems.append("image_size %#x smaller than the file (%#x)" % (image_size, len(img)))
    if flags & 1:
        problems.append("flags say big-endian")
    print("Image: %d bytes, text_offset %#x, image_size %#x, version %d.%d"
          % (len(img), text_offset, image_size, version >> 16, version & 0xffff))

    scr = open(os.path.join(base, "boot.scr"), "rb").read()
    (ih_magic, ih_hcrc, _time, ih_size, _load, _ep, ih_dcrc, ih_os, ih_arch, ih_type, ih_comp,
     ih_name) = struct.unpack(">IIIIIIIBBBB32s", scr[:64])
    header = scr[:4] + b"\0\0\0\0" + scr[8:64]
    if ih_magic != 0x27051956:
        problems.append("boot.scr is not a uImage (magic %#x)" % ih_magic)
    if zlib.crc32(header) != ih_hcrc:
        problems.append("boot.scr header CRC wrong")
    if zlib.crc32(scr[64:64 + ih_size]) != ih_dcrc:
        problems.append("boot.scr data CRC wrong")
    if ih_type != 6 or ih_arch != 26 or ih_comp != 0:  # IH_TYPE_SCRIPT, IH_ARCH_RISCV, none
        problems.append("boot.scr type %d arch %d comp %d, want script riscv none"
                        % (ih_type, ih_arch, ih_comp))
    if b"booti ${kernel_addr_r} ${ramdisk_addr_r}:${kine_initrd_size} ${fdtcontroladdr}" \
            not in scr:
        problems.append("boot.scr lacks the booti line")
    print("boot.scr: %s, %d bytes of script" % (ih_name.rstrip(b"\0").decode(), ih_size))

    cpio = open(os.path.join(base, "initrd.cpio"), "rb").read()
    if not cpio.startswith(b"070701"):
        problems.append("initrd.cpio is not a newc cpio")
    for name in (b"init\0", b"stress\0", b"cowtest\0"):
        if name not in cpio:
            problems.append("initrd.cpio lacks %s" % name.decode().rstrip("\0"))
    print("initrd.cpio: %d bytes" % len(cpio))

    for p in problems:
        print("unmatched_files_test: FAIL: " + p)
    if not problems:
        print("unmatched_files_test: PASS")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
