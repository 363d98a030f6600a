"""Summarise a py-spy raw (collapsed) profile, recorded with --idle --subprocesses.

    python bench/bench_flame.py PROFILE.txt RATE [TOP]

Prints, per process, its wall time (samples / rate), the functions with the
most self time, and for the CLI process the time inside each pipeline stage
and each store step (inclusive).
"""

from __future__ import annotations

import collections
import sys

STEPS = [
    ("stage receive", "Pipeline.receive"),
    ("stage store", "Pipeline.store "),
    ("  put_stream: read, 3 digests, 2 copies, fsync", "put_stream "),
    ("  commit: re-read + SHA-256 of each copy, rename", "commit "),
    ("  sniff (re-opens the stored copy)", "Pipeline._sniff"),
    ("  item metadata + receipt (_record_item/_record_receipt)", "Pipeline._record_"),
    ("stage extract", "Pipeline.extract "),
    ("  waiting for the plugin worker", "PluginWorker.extract"),
    ("  item_view (re-opens, index query)", "Pipeline.item_view"),
    ("stage settle", "Pipeline.settle"),
    ("all metadata files (_write_meta, fsync x2 + dir fsync x2)", "Pipeline._write_meta"),
    ("all custody lines (fsync per line per replica)", "CustodyLog.event"),
    ("all fsync of directories (fsync_dir)", "fsync_dir"),
    ("all index transactions (_Tx.__exit__ = COMMIT)", "_Tx.__exit__"),
    ("catch_up (start)", "catch_up "),
    ("Case.open (start)", "Case.open"),
    ("imports", "_find_and_load "),
]


def main() -> None:
    path, rate = sys.argv[1], float(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    by_proc: dict[str, list[tuple[list[str], int]]] = collections.defaultdict(list)
    for line in open(path, encoding="utf-8", errors="replace"):
        stack, _, n = line.rstrip("\n").rpartition(" ")
        frames = stack.split(";")
        # with --subprocesses, a child's stack sits under its parent's "process" frame
        cut = max(i for i, f in enumerate(frames) if f.startswith("process ") or i == 0)
        by_proc[frames[cut]].append((frames[cut + 1:], int(n)))
    for proc, stacks in sorted(by_proc.items(), key=lambda kv: -sum(n for _, n in kv[1])):
        total = sum(n for _, n in stacks)
        if "resource_tracker" in proc:
            print(f"\n== {proc[:90]}: {total / rate:.2f} s (idle helper, ignored)")
            continue
        print(f"\n== {proc[:110]}\n   wall {total / rate:.2f} s ({total} samples)")
        self_t: collections.Counter = collections.Counter()
        for frames, n in stacks:
            self_t[frames[-1] if frames else "?"] += n
        print("   -- self time")
        for f, n in self_t.most_common(top):
            print(f"   {n / rate:7.2f} s {100 * n / total:5.1f} %  {f}")
        if "intake" in proc and "spawn_main" not in proc:
            print("   -- inclusive, by stage and step")
            for label, needle in STEPS:
                n = sum(c for frames, c in stacks if any(f.startswith(needle.rstrip()) and
                        (not needle.endswith(" ") or f.startswith(needle)) for f in frames))
                print(f"   {n / rate:7.2f} s {100 * n / total:5.1f} %  {label}")


if __name__ == "__main__":
    main()
