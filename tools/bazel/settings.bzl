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

def bool_setting_with_state(name, default, state):
    """A bool_setting NAME and a config_setting NAME_<state>, true when the
    setting is `state` (True: "on", False: "off"), for select()."""
    bool_setting(name = name, build_setting_default = default)
    native.config_setting(
        name = "%s_%s" % (name, "on" if state else "off"),
        flag_values = {":" + name: "true" if state else "false"},
    )
