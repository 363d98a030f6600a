"""Shared helpers for the benchmarks: timing, statistics, cases, memory, the machine.

Benchmarks are not tests: nothing here runs in CI. Every figure is a ratio
against a reference run in the same invocation (absolute times drift on a
shared machine), taken over at least 5 runs and reported as median, min, max.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout
OUT = ROOT / "bench" / "out"  # scratch space (git-ignored), emptied after each figure
VENV_BIN = Path(sys.executable).parent
INTAKE = str(VENV_BIN / "intake")
CORPUS = Path(os.environ.get("INTAKE_CORPUS", ROOT.parent / "shared" / "corpus"))


# --------------------------------------------------------------------------- statistics

@dataclass
class Series:
    """Repeated measurements of one quantity (seconds, files/s, ...)."""

    values: list[float] = field(default_factory=list)

    def add(self, v: float) -> None:
        self.values.append(v)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def min(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def max(self) -> float:
        return max(self.values) if self.values else float("nan")

    def fmt(self, unit: str = "s", digits: int = 3) -> str:
        if not self.values:
            return "n/a"
        return (f"{self.median:.{digits}f} {unit} (min {self.min:.{digits}f}, "
                f"max {self.max:.{digits}f}, n={len(self.values)})")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


@dataclass
class Figure:
    """One line of the results table."""

    number: str
    name: str
    measured: str  # what intake did (median, min, max)
    reference: str  # what the reference did
    ratio: str  # the figure itself
    target: str
    verdict: str  # PASS, MISS or INFO
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # extra lines for the doc


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# --------------------------------------------------------------------------- processes

def run(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None,
        check: bool = True, capture: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=cwd, env=env, text=True,
                         stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                         stderr=subprocess.PIPE if capture else subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def compile_bytecode() -> str:
    """Compile intake's modules to bytecode once, as ``pip install`` does.

    The checkout is an editable install: with PYTHONDONTWRITEBYTECODE set (as
    in this project's sessions) every process, the CLI and each plugin worker,
    compiled intake's and the plugins' sources again at every start (0.2 s of
    CPU each on the bench machine), which an installed intake never does.
    Returns the sentence the figures' details give.
    """
    run([sys.executable, "-m", "compileall", "-q", str(ROOT / "intake"), str(ROOT / "plugins")],
        capture=True)
    return ("intake's modules compiled to bytecode beforehand, as pip install does "
            "(python -m compileall intake plugins).")


def _tree_rss_kib(root_pid: int) -> int:
    """Sum of VmRSS over a process and all its descendants (from /proc)."""
    total = 0
    todo = [root_pid]
    seen = set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids.extend(int(c) for c in f.read().split())
    except (OSError, ValueError):
        pass
    return kids


@dataclass
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float  # user + system time of the command and its waited-for children
    tree_peak_kib: int  # peak of the summed RSS over the live process tree (sampled)


def timed_run(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None,
              sample: float = 0.05) -> Timed:
    """Run a command: wall time, CPU time, and the sampled peak RSS of its process tree."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sampler() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            stop.wait(sample)

    t = threading.Thread(target=sampler, daemon=True)
    t.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    t.join()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return Timed(seconds, proc.returncode, out, err, cpu, peak)


def isolated_maxrss(cmd: list[str], *, cwd: Path | None = None,
                    env: dict | None = None) -> tuple[float, int, int]:
    """(seconds, ru_maxrss KiB, sampled tree peak KiB) of a command run from a
    fresh Python process, so RUSAGE_CHILDREN holds this command alone."""
    code = (
        "import json,resource,subprocess,sys,time\n"
        "cmd=json.loads(sys.argv[1]); t=time.perf_counter()\n"
        "rc=subprocess.run(cmd,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL).returncode\n"
        "dt=time.perf_counter()-t\n"
        "print(json.dumps([dt,rc,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, json.dumps(cmd)], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, text=True)
    peak = 0
    while holder.poll() is None:
        # the holder's own (small) RSS is left out: only the command's tree counts
        peak = max(peak, sum(_tree_rss_kib(c) for c in _children(holder.pid)))
        time.sleep(0.02)
    out = holder.stdout.read() if holder.stdout else ""
    dt, rc, maxrss = json.loads(out.strip().splitlines()[-1])
    if rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {rc}")
    return dt, maxrss, peak


# --------------------------------------------------------------------------- cases

def new_case(path: Path, settle_seconds: float | None = None) -> Path:
    """`intake init` a fresh case (two replicas inside it, the default)."""
    if path.exists():
        rm(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    run([INTAKE, "init", str(path)])
    if settle_seconds is not None:
        cfg = path / "config" / "intake.toml"
        text = cfg.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^settle_seconds = [0-9.]+", f"settle_seconds = {settle_seconds}", text)
        cfg.write_text(text, encoding="utf-8")
    return path


def rm(path: Path) -> None:
    """Remove a scratch folder, read-only store objects included."""
    if not path.exists():
        return
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            try:
                os.chmod(os.path.join(root, d), 0o700)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)


def warm(path: Path) -> None:
    """Read a file once so the page cache holds it."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def make_random_file(path: Path, size: int) -> None:
    """A file of incompressible bytes (like a video), written quickly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(1 << 24)
    with open(path, "wb") as f:
        left = size
        n = 0
        while left > 0:
            chunk = block if n % 2 == 0 else block[::-1]
            # keep every 16 MiB block distinct so nothing downstream can dedupe it
            head = n.to_bytes(8, "little")
            piece = (head + chunk[8:])[:left]
            f.write(piece)
            left -= len(piece)
            n += 1


# --------------------------------------------------------------------------- the machine

def _first(pattern: str, text: str, default: str = "?") -> str:
    m = re.search(pattern, text, re.M)
    return m.group(1).strip() if m else default


def machine() -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    info["CPU"] = _first(r"^model name\s*:\s*(.+)$", cpuinfo, platform.processor() or "?")
    flags = _first(r"^flags\s*:\s*(.+)$", cpuinfo, "")
    extras = [f for f in ("sha_ni", "avx2", "avx512f") if f in flags.split()]
    if extras:
        info["CPU"] += f" ({', '.join(extras)})"
    info["Cores"] = f"{os.cpu_count()} logical (shared with other work)"
    try:
        mem = Path("/proc/meminfo").read_text()
        kib = int(_first(r"^MemTotal:\s*(\d+)", mem, "0"))
        info["RAM"] = f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        info["RAM"] = "?"
    try:
        fm = subprocess.run(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", str(OUT.parent)],
                            capture_output=True, text=True).stdout.strip()
    except OSError:
        fm = ""
    disk = fm or "?"
    try:
        src = fm.split()[0]
        dev = Path(src).name
        vendor = Path(f"/sys/block/{dev}/device/vendor")
        if vendor.exists() and vendor.read_text().strip() == "0x1af4":
            disk += "; virtio-blk (virtual disk: fsync cost is the host's, not a real SSD's)"
        else:
            rot = Path(f"/sys/block/{dev}/queue/rotational").read_text().strip()
            disk += f"; {'rotational' if rot == '1' else 'non-rotational'} block device"
    except (OSError, IndexError):
        pass
    info["Disk / file system"] = disk
    info["Kernel"] = platform.platform()
    virt = ""
    try:
        virt = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    if "hypervisor" in flags.split():
        hv = _first(r"^Hypervisor vendor:\s*(.+)$",
                    subprocess.run(["lscpu"], capture_output=True, text=True).stdout, "")
        virt = ", ".join(x for x in (virt, f"virtual machine ({hv or 'hypervisor flag'})") if x)
    if virt:
        info["Virtualisation"] = virt
    info["Python"] = f"{platform.python_version()} ({sys.executable})"
    versions = []
    from importlib import metadata

    for pkg in ("intake", "pluggy", "watchdog", "ExifRead", "pillow", "pillow_heif", "pikepdf",
                "structlog", "typst", "extract-msg", "ImageHash"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    info["Libraries"] = ", ".join(versions)
    import hashlib
    import ssl

    info["Hashing"] = f"hashlib on {ssl.OPENSSL_VERSION}"
    ossl = shutil.which("openssl")
    if ossl:
        info["openssl (reference)"] = run([ossl, "version"]).stdout.strip()
    et = shutil.which("exiftool")
    if et:
        info["exiftool (reference)"] = run([et, "-ver"]).stdout.strip()
    del hashlib
    info["Date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        load = os.getloadavg()
        info["Load average at start"] = " ".join(f"{x:.2f}" for x in load)
    except OSError:
        pass
    return info


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)
