"""Run a command and say which of its processes its peak memory is in (a benchmark helper).

feed_farm.measure gives the peak of a build's whole process tree; this says whose it is:
the build process itself, its parse workers (all of them at once), or anything else it
runs (Pagefind), sampled from /proc every 50 ms, and when it came: ``at`` is seconds from
the start, to be set beside when the fetch-and-parse stage ended.

Memory is counted as PSS (``/proc/PID/smaps_rollup``): a page shared by several processes
counts once in all. Summed RSS counts it in each: a child between fork and exec (a new
parse worker, Pagefind) shares the whole build's memory for a moment, and the sum read
the build twice, up to 240 MB too much in one sample (``rss_peak_mb`` keeps that sum).
Such a child (its command line still the build's) is left out of both: the build and
the child are not read at the same instant, so even PSS counted part of it twice.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from feed_farm import _descendants  # a sibling script: every pid under one


@dataclass
class TreeMemory:
    """What one run of a command cost in memory, by process, in MB."""

    code: int = 0
    wall: float = 0.0
    peak_mb: float = 0.0  # the tree's summed PSS at its highest sample
    rss_peak_mb: float = 0.0  # the tree's summed RSS at its highest (shared pages counted twice)
    at: float = 0.0  # seconds from the start to that sample
    split_mb: dict[str, float] = field(default_factory=dict)  # who held it at that sample
    build_hwm_mb: float = 0.0  # the build process's own high-water mark (VmHWM: exact)
    workers_peak_mb: float = 0.0  # the parse workers' summed PSS at their highest
    worker_peak_mb: float = 0.0  # the largest one worker's PSS
    most_workers: int = 0
    timeline: list[tuple[float, float, float, float]] = field(default_factory=list)


def run(command: list[str], **popen: Any) -> TreeMemory:
    """Run ``command`` to its end and return where its memory went."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, **popen)
    result = TreeMemory()
    done = threading.Event()
    sampler = threading.Thread(target=_sample, args=(proc.pid, start, result, done),
                               daemon=True)
    sampler.start()
    result.code = proc.wait()
    result.wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return result


def _sample(root: int, start: float, result: TreeMemory, done: threading.Event) -> None:
    while not done.is_set():
        split: dict[str, float] = {"build": 0.0, "workers": 0.0, "other": 0.0}
        workers = 0
        status = _status(root)
        split["build"] = _pss_mb(root)
        rss = status.get("VmRSS", 0) / 1024
        result.build_hwm_mb = max(result.build_hwm_mb, status.get("VmHWM", 0) / 1024)
        own = _cmdline(root)
        for pid in _descendants(root):
            if _cmdline(pid) == own:
                continue  # forked, not yet exec'd (a worker or Pagefind starting): our pages
            role = _role(pid)
            pss = _pss_mb(pid)
            split[role] += pss
            rss += _status(pid).get("VmRSS", 0) / 1024
            if role == "workers":
                workers += 1
                result.worker_peak_mb = max(result.worker_peak_mb, pss)
        total = sum(split.values())
        result.rss_peak_mb = max(result.rss_peak_mb, rss)
        now = time.perf_counter() - start
        result.timeline.append((now, split["build"], split["workers"], split["other"]))
        if total > result.peak_mb:
            result.peak_mb, result.split_mb, result.at = total, split, now
        result.workers_peak_mb = max(result.workers_peak_mb, split["workers"])
        result.most_workers = max(result.most_workers, workers)
        time.sleep(0.05)


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _role(pid: int) -> str:
    # A parse worker runs multiprocessing's spawn_main (its resource tracker does not).
    return "workers" if b"spawn_main" in _cmdline(pid) else "other"


def _pss_mb(pid: int) -> float:
    """Return a process's proportional set size in MB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _status(pid: int) -> dict[str, int]:
    """Return the kB figures of /proc/PID/status (VmRSS, VmHWM...), empty if it is gone."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Vm"):
                    key, value = line.split(":", 1)
                    found[key] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return found

