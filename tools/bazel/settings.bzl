"""A boolean build setting without bazel_skylib (not available offline).

    bool_setting(name = "frame_cache", build_setting_default = True)

is set on the command line as --//tools/config:frame_cache=false, read with
config_setting(flag_values = ...), and set per image by riscv_image's
transition (tools/bazel/riscv.bzl), so one `bazel build //...` produces the
default kernel and each baseline kernel side by side.
"""

def _bool_setting_impl(ctx):
    return []

bool_setting = rule(
    implementation = _bool_setting_impl,
    build_setting = config.bool(flag = True),
    doc = "A boolean build setting (what bazel_skylib's bool_flag provides).",
)
