"""plots.py: the PNG plots of a benchmark summary (report.summarize), with matplotlib.

One plot per case that ran: fork.png, exec.png, fault.png, scale.png, frames.png. Needs
Debian's python3-matplotlib (/usr/bin/python3); without it, plot() says so and returns [].
"""
import os


def plot(summary, out):
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display: files only
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib not found (run with /usr/bin/python3): no plots")
        return []
    written = []

    def save(fig, name):
        path = os.path.join(out, name)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    for case, title in (("fork", "fork+exit+wait"), ("exec", "fork+exec+wait")):
        if case not in summary:
            continue
        rows = summary[case]["rows"]
        fig, ax = plt.subplots(figsize=(6, 4))
        for key, label in (("cow_us", "copy-on-write (//:kernel)"),
                           ("eager_us", "eager copy (//:kernel_eager)")):
            ax.plot([r["mib"] for r in rows], [r[key] for r in rows], marker="o", label=label)
        ax.set_xlabel("MiB resident in the parent")
        ax.set_ylabel("guest time, us (log)")
        ax.set_yscale("log")
        ax.set_title("%s latency" % title)
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
        save(fig, case + ".png")

    if "fault" in summary:
        from report import FAULT_BENCHES
        f = summary["fault"]
        fig, ax = plt.subplots(figsize=(7, 4))
        width = 0.4
        xs = range(len(FAULT_BENCHES))
        for k, (image, label) in enumerate((("kernel", "SBI RFENCE"), ("kernel_ipi", "IPI"))):
            vals = [f.get(image, {}).get(b + "_us") or 0 for b in FAULT_BENCHES]
            ax.bar([x + (k - 0.5) * width for x in xs], vals, width, label=label)
        ax.set_xticks(list(xs))
        ax.set_xticklabels([b.replace("_", "\n") for b in FAULT_BENCHES])
        ax.set_ylabel("guest time, us (median)")
        ax.set_title("trap, copy and COW fault latency")
        ax.legend()
        save(fig, "fault.png")

    if "scale" in summary:
        rows = summary["scale"]["rows"]
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, mode in zip(axes, ("procs", "threads")):
            for caches in ("on", "off"):
                pts = sorted((r["harts"], r["faults_per_s"]) for r in rows
                             if r["mode"] == mode and r["caches"] == caches)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                            label="frame caches %s" % caches)
            ax.set_xlabel("harts")
            ax.set_ylabel("COW faults per second (guest)")
            ax.set_yscale("log")
            ax.set_title("%s: %s" % (mode, "one process per hart" if mode == "procs"
                                     else "threads of one process"))
            ax.legend()
            ax.grid(True, which="both", alpha=0.3)
        save(fig, "scale.png")

    if "frames" in summary:
        rows = summary["frames"]["rows"]
        fig, ax = plt.subplots(figsize=(6, 4))
        for caches in ("on", "off"):
            ax.plot([r["harts"] for r in rows], [r.get("ns_per_pair_" + caches) for r in rows],
                    marker="o", label="frame caches %s" % caches)
        ax.set_xlabel("harts")
        ax.set_ylabel("ns per order-0 alloc+free (guest)")
        ax.set_title("frame allocator")
        ax.legend()
        ax.grid(True, alpha=0.3)
        save(fig, "frames.png")
    return written
