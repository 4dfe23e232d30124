"""cc_toolchain_config for riscv64-unknown-elf-gcc 12 (freestanding RV64GC).

Every kine image (kernel and user programs) is built with these flags:
RV64GC, the LP64D ABI, the medany code model (the kernel runs at any address
within 2 GiB of its link address), no libc, frame pointers for backtraces,
and warnings as errors. libgcc is linked back in after the objects, because
-nostdlib drops it and GCC emits calls to its helpers (__bswapdi2, ...).
"""

load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)
load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")

_GCC = "/usr/bin/riscv64-unknown-elf-"

_COMPILE_ACTIONS = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
]

_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
]

_MACHINE_FLAGS = [
    "-march=rv64gc",
    "-mabi=lp64d",
    "-mcmodel=medany",
]

_COMPILE_FLAGS = _MACHINE_FLAGS + [
    "-std=gnu11",
    "-ffreestanding",
    "-fno-builtin",
    "-fno-common",
    "-fno-stack-protector",
    "-fno-pie",
    "-fno-omit-frame-pointer",
    "-fno-optimize-sibling-calls",
    "-O2",
    "-g",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    # A kernel stack is 16 KiB above a 16 KiB guard (src/mm/kstack.h): a
    # frame this size or smaller that overflows always lands in the guard.
    "-Wframe-larger-than=4096",
]

_LINK_FLAGS = _MACHINE_FLAGS + [
    "-nostdlib",
    "-static",
    "-no-pie",
    "-Wl,--build-id=none",
    "-Wl,-z,noexecstack",
]

def _impl(ctx):
    tool_paths = [
        tool_path(name = "gcc", path = _GCC + "gcc"),
        tool_path(name = "cpp", path = _GCC + "cpp"),
        tool_path(name = "ld", path = _GCC + "ld"),
        tool_path(name = "ar", path = _GCC + "ar"),
        tool_path(name = "nm", path = _GCC + "nm"),
        tool_path(name = "objcopy", path = _GCC + "objcopy"),
        tool_path(name = "objdump", path = _GCC + "objdump"),
        tool_path(name = "strip", path = _GCC + "strip"),
        tool_path(name = "gcov", path = "/bin/false"),
    ]

    default_compile_flags = feature(
        name = "default_compile_flags",
        enabled = True,
        flag_sets = [flag_set(
            actions = _COMPILE_ACTIONS,
            flag_groups = [flag_group(flags = _COMPILE_FLAGS)],
        )],
    )

    default_link_flags = feature(
        name = "default_link_flags",
        enabled = True,
        flag_sets = [flag_set(
            actions = _LINK_ACTIONS,
            flag_groups = [flag_group(flags = _LINK_FLAGS)],
        )],
    )

    # Bazel places user_link_flags after the objects and libraries; the
    # compiler's helper library must come after everything that calls it.
    libgcc_last = feature(
        name = "libgcc_last",
        enabled = True,
        flag_sets = [flag_set(
            actions = _LINK_ACTIONS,
            flag_groups = [flag_group(flags = ["-lgcc"])],
        )],
    )

    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = [default_compile_flags, default_link_flags, libgcc_last],
        cxx_builtin_include_directories = [
            "/usr/lib/gcc/riscv64-unknown-elf/12.2.0/include",
            "/usr/lib/gcc/riscv64-unknown-elf/12.2.0/include-fixed",
        ],
        toolchain_identifier = "riscv64-unknown-elf",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "riscv64-unknown-elf",
        target_cpu = "riscv64",
        target_libc = "none",
        compiler = "gcc",
        abi_version = "lp64d",
        abi_libc_version = "none",
        tool_paths = tool_paths,
    )

riscv64_elf_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
