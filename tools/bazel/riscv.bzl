"""Rules that build kine's riscv64 images from inside a host `bazel test //...`.

`riscv_image` moves its `binary` attribute to the riscv64_kine platform with a
configuration transition, so one Bazel invocation builds host unit tests (with
the host compiler and sanitizers) and kernel images (with riscv64-unknown-elf
gcc). The transition clears copt/conlyopt/linkopt: the host-only sanitizer
flags of .bazelrc must never reach freestanding code.
"""

_RISCV_PLATFORM = "//tools/platforms:riscv64_kine"

# Baseline build settings (tools/config) that an image may turn off.
_FRAME_CACHE = "//tools/config:frame_cache"
_MM_POISON = "//tools/config:mm_poison"
_COW = "//tools/config:cow"
_TLB_IPI = "//tools/config:tlb_ipi"
_LOCKSTAT = "//tools/config:lockstat"

def _riscv_transition_impl(settings, attr):
    return {
        "//command_line_option:platforms": _RISCV_PLATFORM,
        "//command_line_option:copt": [],
        "//command_line_option:conlyopt": [],
        "//command_line_option:linkopt": [],
        _FRAME_CACHE: attr.frame_cache,
        _MM_POISON: attr.mm_poison,
        _COW: attr.cow,
        _TLB_IPI: attr.tlb_ipi,
        _LOCKSTAT: attr.lockstat,
    }

riscv_transition = transition(
    implementation = _riscv_transition_impl,
    inputs = [],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:copt",
        "//command_line_option:conlyopt",
        "//command_line_option:linkopt",
        _FRAME_CACHE,
        _MM_POISON,
        _COW,
        _TLB_IPI,
        _LOCKSTAT,
    ],
)

def _riscv_image_impl(ctx):
    # An attribute-edge transition turns the attribute into a list.
    elf_in = ctx.attr.binary[0][DefaultInfo].files_to_run.executable
    elf = ctx.actions.declare_file(ctx.label.name + ".elf")
    img = ctx.actions.declare_file(ctx.label.name + ".bin")
    ctx.actions.run_shell(
        inputs = [elf_in],
        outputs = [elf, img],
        command = "cp -f \"$1\" \"$2\" && /usr/bin/riscv64-unknown-elf-objcopy -O binary \"$1\" \"$3\"",
        arguments = [elf_in.path, elf.path, img.path],
        mnemonic = "RiscvImage",
        progress_message = "Packaging riscv64 image %s" % ctx.label,
    )
    return [DefaultInfo(
        files = depset([elf, img]),
        runfiles = ctx.runfiles(files = [elf, img]),
    )]

riscv_image = rule(
    implementation = _riscv_image_impl,
    doc = "A riscv64 ELF (`NAME.elf`) and its raw image (`NAME.bin`, the Linux-style `Image` that U-Boot's booti and fw_jump load), built for the riscv64_kine platform.",
    attrs = {
        "binary": attr.label(
            cfg = riscv_transition,
            mandatory = True,
            doc = "A cc_binary that is compatible with the riscv64_kine platform.",
        ),
        "frame_cache": attr.bool(
            default = True,
            doc = "False builds the baseline without per-hart frame caches.",
        ),
        "cow": attr.bool(
            default = True,
            doc = "False builds the baseline whose fork copies eagerly.",
        ),
        "tlb_ipi": attr.bool(
            default = False,
            doc = "True builds the image whose TLB shootdowns are kine's own IPIs, not SBI RFENCE.",
        ),
        "lockstat": attr.bool(
            default = True,
            doc = "False builds the image without lock statistics (the counting compiled out).",
        ),
        "mm_poison": attr.bool(
            default = False,
            doc = "True builds the debug image that poisons freed frames.",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
