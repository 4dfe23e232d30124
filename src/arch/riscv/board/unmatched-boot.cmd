# boot.scr for kine on the HiFive Unmatched (U-Boot 2021.07 or later).
#
# Built into boot.scr by `mkimage -T script` (src/arch/riscv/board/BUILD);
# see docs/board.md. Runs in two ways:
#  - from an SD card or USB stick: U-Boot's distro boot finds /boot.scr on
#    the partition and sets devtype, devnum and distro_bootpart; this script
#    then loads kine/Image and kine/initrd.cpio from the same partition;
#  - after the files are already in RAM (TFTP, or QEMU's loader in
#    test/qemu/uboot_test.py): set kine_loaded=1 and kine_initrd_size
#    (hex, e.g. ${filesize} right after loading the initrd) first.
#
# What the kernel runs: ${kine_run} if set (e.g. `setenv kine_run "stress
# 10m"` at the prompt), else what `./kine board unmatched --run` baked in
# below; empty: init and the shell on the serial console. ${kine_opts}
# (or what --opts baked in) adds boot options before it (e.g. tlb_threshold=32).
#
# The Image must sit at ${kernel_addr_r}: booti moves it to RAM base +
# text_offset (0x80200000). The device tree is U-Boot's own, which
# OpenSBI has already edited (reserved memory, disabled hart 0).

if test -z "${kine_run}"; then
	setenv kine_run "@KINE_RUN@"
fi
if test -z "${kine_opts}"; then
	setenv kine_opts "@KINE_OPTS@"
fi

if test -z "${kine_loaded}"; then
	echo "kine: loading kine/Image and kine/initrd.cpio from ${devtype} ${devnum}:${distro_bootpart}"
	load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} kine/Image
	load ${devtype} ${devnum}:${distro_bootpart} ${ramdisk_addr_r} kine/initrd.cpio
	setenv kine_initrd_size ${filesize}
fi

if test -n "${kine_run}"; then
	setenv bootargs "${kine_opts} -- ${kine_run}"
else
	setenv bootargs "${kine_opts}"
fi
echo "kine: booti with bootargs: ${bootargs}"
booti ${kernel_addr_r} ${ramdisk_addr_r}:${kine_initrd_size} ${fdtcontroladdr}
