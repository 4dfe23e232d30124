"""report.py: from the bench records of one run to figures, targets and a Markdown report.

summarize(records) -> {case: figures}: medians over boots (and over repetitions where the
program printed one line per repetition), ratios between the images of one case, and the
counters per 1000 faults. targets(summary) -> rows (what, target, measured, met). markdown()
writes both as tables. Times are guest time (the time CSR) in microseconds.
"""
import statistics


def _med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _pick(records, **kw):
    return [r for r in records if all(r.get(k) == v for k, v in kw.items())]


def _us(ns):
    return None if ns is None else ns / 1000.0


def _ratio(a, b):
    return a / b if a is not None and b else None


def _sum(recs, key):
    """The sum of key over recs, or None if a record lacks it (older runs counted less)."""
    values = [r.get(key) for r in recs]
    return None if not values or None in values else sum(values)


def _per_1000(recs, key, faults):
    total = _sum(recs, key)
    return None if total is None or not faults else 1000.0 * total / faults


def summarize_fork(records, bench):
    rows = []
    for mib in sorted({r["mib"] for r in _pick(records, bench=bench)}):
        cow = _us(_med([r.get("median") for r in _pick(records, bench=bench, mib=mib,
                                                   image="kernel")]))
        eager = _us(_med([r.get("median") for r in _pick(records, bench=bench, mib=mib,
                                                     image="kernel_eager")]))
        rows.append({"mib": mib, "cow_us": cow, "eager_us": eager,
                     "eager_over_cow": _ratio(eager, cow)})
    out = {"rows": rows}
    if len(rows) > 1 and rows[0]["mib"] == 0:
        top = rows[-1]
        for k in ("cow", "eager"):
            if top[k + "_us"] is not None and rows[0][k + "_us"] is not None:
                out[k + "_us_per_mib"] = (top[k + "_us"] - rows[0][k + "_us"]) / top["mib"]
    return out


# fault_copy_mt: the other thread runs on hart 1 and has read every page (every copy fences
# it); fault_copy_mt_untouched: it runs there but never touched the pages (unaccessed COW
# PTEs: no fence); fault_copy_mt_sleep: it sleeps there (lazy shootdowns skip it). Runs before
# 2026-11-24 17:00 had only a fault_copy_mt whose helper slept, and before lazy shootdowns
# that was fenced too; runs before 2026-11-24 19:00 had no _untouched case, and their
# fault_copy_mt helper never read the pages (every page was still accessed at fork then).
FAULT_BENCHES = ["null_syscall", "memcpy_4k", "fault_copy", "fault_copy_read", "fault_reuse",
                 "fault_copy_mt",
                 "fault_copy_mt_untouched", "fault_copy_mt_sleep"]


def summarize_fault(records):
    out = {}
    for image in ("kernel", "kernel_ipi"):
        fig = {}
        for bench in FAULT_BENCHES:
            recs = _pick(records, bench=bench, image=image)
            if not recs:
                continue
            fig[bench + "_us"] = _us(_med([r.get("median") for r in recs]))
            faults = _sum(recs, "cow_faults")
            if faults is not None:
                fig[bench + "_shootdowns_per_1000"] = _per_1000(recs, "remote_shootdowns",
                                                                faults)
        if fig:
            out[image] = fig
    return out


def summarize_scale(records):
    rows = []
    for image in ("kernel", "kernel_nocache"):
        for mode in ("procs", "threads"):
            for harts in sorted({r["harts"] for r in _pick(records, bench="fault_scale")}):
                recs = _pick(records, bench="fault_scale", image=image, mode=mode, harts=harts)
                if not recs:
                    continue
                faults = _sum(recs, "faults")
                allocs = _sum(recs, "allocs")
                glock = _sum(recs, "global_lock")

                def per_1000(key):
                    return _per_1000(recs, key, faults)

                top = max(recs, key=lambda r: r.get("top_class_con") or 0)
                rows.append({
                    "caches": "on" if image == "kernel" else "off", "mode": mode,
                    "harts": harts, "faults_per_s": _med([r.get("faults_per_s") for r in recs]),
                    "global_lock_per_1000": per_1000("global_lock"),
                    "allocs_per_global_lock": (None if allocs is None or glock is None
                                               else allocs / max(1, glock)),
                    "contentions_per_1000": per_1000("contentions"),
                    "remote_drains_per_1000": per_1000("remote_drains"),
                    "remote_frees_per_1000": per_1000("remote_frees"),
                    "remote_shootdowns_per_1000": per_1000("remote_shootdowns"),
                    "top_class": top.get("top_class"),
                })
    return {"rows": rows}


def summarize_frames(records):
    rows = []
    for harts in sorted({r["harts"] for r in _pick(records, bench="frame_alloc_free")}):
        row = {"harts": harts}
        for caches in ("on", "off"):
            recs = _pick(records, bench="frame_alloc_free", caches=caches, harts=harts)
            if not recs:
                continue
            pairs, glock = _sum(recs, "pairs_per_hart"), _sum(recs, "global_lock")
            row["ns_per_pair_" + caches] = _med([r.get("ns_per_pair") for r in recs])
            row["kpairs_per_s_" + caches] = _med([r.get("total_kpairs_per_s") for r in recs])
            row["allocs_per_global_lock_" + caches] = (
                None if pairs is None or glock is None else pairs * harts / max(1, glock))
        row["speedup"] = _ratio(row.get("ns_per_pair_off"), row.get("ns_per_pair_on"))
        rows.append(row)
    return {"rows": rows}


def summarize_icount(records):
    out = {}
    for image in ("kernel", "kernel_eager"):
        fig = {}
        for r in _pick(records, image=image):
            if r.get("median") is None:
                continue
            if r["bench"] == "fork_exit_wait":
                key = "fork_%dmib" % r["mib"]
            elif r["bench"] in FAULT_BENCHES:
                key = r["bench"]
            else:
                continue
            fig.setdefault(key, []).append(r["median"])
        # Deterministic: every boot of one image must give the same counts.
        out[image] = {k: {"insns": v[0], "repeatable": len(set(v)) == 1, "boots": len(v)}
                      for k, v in fig.items()}
    return out


SUMMARIZERS = {
    "fork": lambda recs: summarize_fork(recs, "fork_exit_wait"),
    "exec": lambda recs: summarize_fork(recs, "fork_exec"),
    "fault": summarize_fault,
    "scale": summarize_scale,
    "frames": summarize_frames,
    "icount": summarize_icount,
}


def summarize(records):
    out = {}
    for case, fn in SUMMARIZERS.items():
        recs = [r for r in records if r["case"] == case]
        if recs:
            out[case] = fn(recs)
    return out


def targets(summary):
    """The issue's targets: (what, target, measured text, met True/False/None)."""
    rows = []
    fork = summary.get("fork")
    top = fork["rows"][-1] if fork and fork["rows"] else None
    if top and top["eager_over_cow"] is not None:
        r = top["eager_over_cow"]
        rows.append(("fork+exit+wait, %d MiB resident: eager / COW" % top["mib"], ">= 50x",
                     "%.1fx (%.0f us vs %.0f us)" % (r, top["eager_us"], top["cow_us"]),
                     r >= 50))
    if fork and "cow_us_per_mib" in fork and "eager_us_per_mib" in fork:
        rows.append(("fork cost per resident MiB", "report",
                     "COW %.1f us/MiB, eager %.0f us/MiB"
                     % (fork["cow_us_per_mib"], fork["eager_us_per_mib"]), None))
    fault = summary.get("fault", {}).get("kernel")
    if fault and not all(fault.get(k + "_us") for k in ("fault_copy", "fault_reuse",
                                                        "null_syscall", "memcpy_4k")):
        fault = None  # a boot failed or an older run: no latency targets
    if fault:
        copy, reuse = fault["fault_copy_us"], fault["fault_reuse_us"]
        null, mc = fault["null_syscall_us"], fault["memcpy_4k_us"]
        rows.append(("reuse fault / copy fault, guest time", "<= 0.20",
                     "%.2f (%.1f us / %.1f us)" % (reuse / copy, reuse, copy), reuse / copy <= 0.2))
        bound = 2 * (null + mc)
        rows.append(("copy fault vs 2 x (null trap + 4 KiB memcpy), guest time", "<= 1.00",
                     "%.2f (%.1f us vs 2 x (%.1f + %.1f) = %.1f us)"
                     % (copy / bound, copy, null, mc, bound), copy <= bound))
        st = fault.get("fault_copy_shootdowns_per_1000")
        if st is not None:
            rows.append(("remote shootdowns per 1000 COW faults, single-threaded", "0",
                         "%.1f" % st, st == 0))
        for bench, what in (("fault_copy_mt", "other thread running on hart 1, pages read"),
                            ("fault_copy_mt_untouched",
                             "other thread running on hart 1, pages untouched"),
                            ("fault_copy_mt_sleep", "other thread asleep on hart 1")):
            mt = fault.get(bench + "_shootdowns_per_1000")
            if mt is not None:
                rows.append(("remote shootdowns per 1000 COW faults, two threads (%s)" % what,
                             "report", "%.0f" % mt, None))
        if fault.get("fault_copy_mt_us") and copy:
            rows.append(("copy fault with a remote shootdown / local copy fault", "report",
                         "%.2fx (%.1f us / %.1f us)"
                         % (fault["fault_copy_mt_us"] / copy, fault["fault_copy_mt_us"], copy),
                         None))
    ic = summary.get("icount", {}).get("kernel", {})
    if all(k in ic for k in ("fault_copy", "fault_reuse", "null_syscall", "memcpy_4k")):
        # The same two targets by instruction count (QEMU -icount): what hardware would see,
        # without QEMU's software-TLB refills ("What surprised us" in BENCHMARKS.md).
        copy_i, reuse_i = ic["fault_copy"]["insns"], ic["fault_reuse"]["insns"]
        null_i, mc_i = ic["null_syscall"]["insns"], ic["memcpy_4k"]["insns"]
        rows.append(("reuse fault / copy fault, instructions", "<= 0.20",
                     "%.3f (%d / %d)" % (reuse_i / copy_i, reuse_i, copy_i),
                     reuse_i / copy_i <= 0.2))
        bound_i = 2 * (null_i + mc_i)
        rows.append(("copy fault vs 2 x (null trap + 4 KiB memcpy), instructions", "<= 1.00",
                     "%.2f (%d vs 2 x (%d + %d) = %d)"
                     % (copy_i / bound_i, copy_i, null_i, mc_i, bound_i), copy_i <= bound_i))
    ipi = summary.get("fault", {}).get("kernel_ipi")
    if fault and ipi and fault.get("fault_copy_mt_us") and ipi.get("fault_copy_mt_us"):
        rows.append(("copy fault with a remote shootdown (other thread running): "
                     "SBI RFENCE vs IPI", "report",
                     "%.1f us vs %.1f us (IPI/RFENCE %.2f)"
                     % (fault["fault_copy_mt_us"], ipi["fault_copy_mt_us"],
                        ipi["fault_copy_mt_us"] / fault["fault_copy_mt_us"]), None))
    frames = summary.get("frames")
    if frames:
        per_lock = [r.get("allocs_per_global_lock_on") for r in frames["rows"]]
        worst = min([v for v in per_lock if v is not None] or [None])
    if frames and worst is not None:
        rows.append(("order-0 allocations per global lock acquisition, caches on (frames)",
                     ">= 32", "%.1f (worst hart count)" % worst, worst >= 32))
    scale = summary.get("scale")
    if scale:
        def tput(mode, harts, caches="on"):
            for r in scale["rows"]:
                if (r["mode"], r["harts"], r["caches"]) == (mode, harts, caches):
                    return r
            return None
        on1 = [r["allocs_per_global_lock"] for r in scale["rows"]
               if r["caches"] == "on" and r["mode"] == "procs"
               and r["allocs_per_global_lock"] is not None]
        if on1:
            worst = min(on1)
            rows.append(("order-0 allocations per global lock acquisition, caches on "
                         "(COW faults)", ">= 32", "%.1f" % worst, worst >= 32))
        for mode in ("procs", "threads"):
            a, b = tput(mode, 1), tput(mode, 2)
            if a and b and a["faults_per_s"] and b["faults_per_s"] is not None:
                r = b["faults_per_s"] / a["faults_per_s"]
                rows.append(("fault throughput 2 harts / 1 hart, %s" % mode, ">= 1.8x",
                             "%.2fx (%d vs %d faults/s)" % (r, b["faults_per_s"],
                                                            a["faults_per_s"]), r >= 1.8))
        for mode in ("procs", "threads"):
            for harts in (4, 8):
                r = tput(mode, harts)
                if r:
                    rows.append(("%s at %d harts, per 1000 faults" % (mode, harts), "report",
                                 "global lock %s, contentions %s, remote frees %s, "
                                 "remote drains %s, remote shootdowns %s"
                                 % (_f(r["global_lock_per_1000"]),
                                    _f(r["contentions_per_1000"]),
                                    _f(r["remote_frees_per_1000"]),
                                    _f(r["remote_drains_per_1000"]),
                                    _f(r["remote_shootdowns_per_1000"], "%.0f")),
                                 None))
    return rows


def _f(v, fmt="%.1f"):
    return "-" if v is None else fmt % v


def markdown(summary, meta):
    """The report: targets first, then one table per case."""
    md = ["# kine benchmark results", "",
          "%s; %s; host %s; %s run, %s." % (meta["date"], meta["qemu"], meta["host"],
                                             "quick" if meta["quick"] else "full",
                                             meta["duration"]),
          "Times are guest time (time CSR, %d Hz) in microseconds, medians." % meta["timebase_hz"],
          ""]
    for b in meta.get("failed_boots", []):
        md.append("- boot FAILED (its figures are missing): %s" % b)
    if meta.get("failed_boots"):
        md.append("")
    rows = targets(summary)
    if rows:
        md += ["## Targets", "", "| what | target | measured | met |", "| --- | --- | --- | --- |"]
        for what, target, measured, met in rows:
            md.append("| %s | %s | %s | %s |" % (what, target, measured,
                                                 {True: "**met**", False: "**not met**",
                                                  None: "-"}[met]))
        md.append("")
    for case, title in (("fork", "fork+exit+wait"), ("exec", "fork+exec+wait")):
        if case in summary:
            md += ["## %s (COW `//:kernel` vs eager `//:kernel_eager`)" % title, "",
                   "| MiB resident | COW us | eager us | eager / COW |",
                   "| ---: | ---: | ---: | ---: |"]
            for r in summary[case]["rows"]:
                md.append("| %d | %s | %s | %s |" % (r["mib"], _f(r["cow_us"]), _f(r["eager_us"]),
                                                   _f(r["eager_over_cow"], "%.1fx")))
            md.append("")
    if "fault" in summary:
        f = summary["fault"]
        md += ["## COW fault latency (one store per page; SBI RFENCE `//:kernel` vs IPI "
               "`//:kernel_ipi`)", "",
               "| measurement | RFENCE us | IPI us | remote shootdowns / 1000 faults: RFENCE "
               "| IPI |",
               "| --- | ---: | ---: | ---: | ---: |"]
        for b in FAULT_BENCHES:
            k, i = f.get("kernel", {}), f.get("kernel_ipi", {})
            md.append("| %s | %s | %s | %s | %s |" % (
                b, _f(k.get(b + "_us")), _f(i.get(b + "_us")),
                _f(k.get(b + "_shootdowns_per_1000"), "%.0f"),
                _f(i.get(b + "_shootdowns_per_1000"), "%.0f")))
        md.append("")
    if "scale" in summary:
        md += ["## COW fault throughput (`//:kernel` caches on, `//:kernel_nocache` off)", "",
               "| mode | harts | caches | faults/s | global lock / 1000 | allocs per global "
               "lock | contentions / 1000 | remote frees / 1000 | remote drains / 1000 | remote shootdowns / 1000 "
               "| most contended |",
               "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        for r in sorted(summary["scale"]["rows"],
                        key=lambda r: (r["mode"], r["harts"], r["caches"])):
            md.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["mode"], r["harts"], r["caches"], _f(r["faults_per_s"], "%d"),
                _f(r["global_lock_per_1000"]), _f(r["allocs_per_global_lock"]),
                _f(r["contentions_per_1000"]), _f(r["remote_frees_per_1000"]),
                _f(r["remote_drains_per_1000"]),
                _f(r["remote_shootdowns_per_1000"], "%.0f"), r["top_class"] or "-"))
        md.append("")
    if "frames" in summary:
        md += ["## Order-0 frame alloc+free (kernel self-test)", "",
               "| harts | caches on ns/pair | off ns/pair | off / on | allocs per global lock "
               "(on) | (off) |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in summary["frames"]["rows"]:
            md.append("| %d | %s | %s | %s | %s | %s |" % (
                r["harts"], _f(r.get("ns_per_pair_on"), "%.0f"),
                _f(r.get("ns_per_pair_off"), "%.0f"), _f(r.get("speedup"), "%.2fx"),
                _f(r.get("allocs_per_global_lock_on")), _f(r.get("allocs_per_global_lock_off"))))
        md.append("")
    if "icount" in summary:
        ic = summary["icount"]
        keys = sorted(set(ic.get("kernel", {})) | set(ic.get("kernel_eager", {})))
        md += ["## Instructions (QEMU -icount, deterministic; median per operation)", "",
               "| operation | COW insns | eager insns | repeatable across boots |",
               "| --- | ---: | ---: | --- |"]
        for k in keys:
            a, b = ic.get("kernel", {}).get(k), ic.get("kernel_eager", {}).get(k)
            rep = all(x["repeatable"] for x in (a, b) if x) and any(
                x["boots"] > 1 for x in (a, b) if x)
            md.append("| %s | %s | %s | %s |" % (k, a["insns"] if a else "-",
                                                 b["insns"] if b else "-",
                                                 "yes" if rep else "one boot each" if not any(
                                                     x["boots"] > 1 for x in (a, b) if x)
                                                 else "NO"))
        md.append("")
    return "\n".join(md) + "\n"
