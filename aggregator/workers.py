"""Parse feed bodies in worker processes: in parallel with the downloads, and bounded.

feedparser needs ~30 ms of CPU for a 140 KB feed, so a build over a thousand feeds has
seconds of parsing to do; the build hands each downloaded body to a worker while other
feeds are still in flight. A worker imports only this module and :mod:`aggregator.parse`,
not the topic model that :mod:`aggregator.build` pulls in (scikit-learn alone costs
seconds of start-up CPU per worker). Started from the ``aggregator`` console script, a
worker also runs that script's imports (multiprocessing's spawn re-runs the main script:
the CLI, the build module and the renderer, ~9 MB and 0.2 s of CPU more per worker);
``python -m aggregator`` does not (spawn skips a ``__main__`` module).

A feed is written by a stranger, so its parse is also fenced in: each worker parses one
body at a time under a CPU-time limit (the kernel's ``RLIMIT_CPU``, raised before each
job) and a cap on its memory (``RLIMIT_AS``). A worker that overruns either, or dies for
any other reason, is replaced, and only the feed it was parsing fails (``parse_timeout``,
``too_large``, ``parse_crash``). Between jobs a worker keeps little: one that a big parse
left large hands the memory back to the OS, or exits and is replaced when it cannot, so
the build's memory is its own plus one parse per worker, not every worker's largest.
Workers die with the build: the kernel kills them when it exits (``PR_SET_PDEATHSIG``,
Linux), a thread watching the parent's pid does elsewhere, and an idle worker exits as
soon as the build's end of its pipe closes.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any

from .errors import ParseError
from .models import ParsedFeed
from .parse import parse_feed

WORKER_NICENESS = 10
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

ParseResult = ParsedFeed | ParseError
ParseJob = Callable[..., ParseResult]


@dataclass(frozen=True)
class ParseLimits:
    """What one feed's parse may cost a worker."""

    cpu_seconds: float = 10.0  # 30 ms is typical; a 5 MB feed of 500 long posts takes ~8 s
    # The address space of a worker, which starts at ~35 MB. Measured apart, a 5 MB feed's
    # parse peaks at ~70 MB of RSS, the worst fuzzed input at ~120 MB (benchmarks/README).
    memory_bytes: int = 512 << 20
    # What a worker may hold between jobs: above it after a job, it returns freed memory
    # to the OS, and if it is still above (a fragmented heap), it exits and is replaced.
    idle_bytes: int = 64 << 20
    # A worker that neither answers nor uses up its CPU time (stopped, or starved of CPU
    # for this long) is killed all the same.
    wall_seconds: float = 120.0


def lower_priority() -> None:
    """Run a worker below the build's own process.

    The build's event loop drives every download; when parsing takes every core, a
    loop waiting for CPU delays each response, and the feeds queued behind them (slow
    ones among them, whose deadline only starts then) start later.
    """
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass  # not POSIX, or not allowed: the same work at the same priority


def parse_job(body: bytes, feed_url: str, now: datetime, content_type: str | None,
              final_url: str, language: str | None) -> ParseResult:
    """Parse one body; runs in a worker process, so errors come back as values."""
    try:
        return parse_feed(body, feed_url=feed_url, now=now, content_type=content_type,
                          final_url=final_url, language=language)
    except ParseError as e:
        return e


def die_with_parent(parent_pid: int, *, deathsig: bool) -> None:
    """Make this process exit when the process ``parent_pid`` (its parent) does.

    ``deathsig``: ask the kernel to kill us when the parent exits (Linux). The signal
    comes when the *thread* that started us ends, so the caller asks for it only when
    that thread lives as long as the pool. Elsewhere, a thread polls the parent's pid.
    """
    if deathsig and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _set_limit(name: str, soft: int) -> None:
    """Lower one of the process's soft resource limits to ``soft`` (if the OS has it)."""
    try:
        import resource
    except ImportError:  # not POSIX: no limits, the wall-clock limit still holds
        return
    which = getattr(resource, name, None)
    if which is None:
        return
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


def _cpu_used() -> float:
    times = os.times()
    return times.user + times.system


def release_memory() -> None:
    """Collect garbage and return freed heap pages to the OS (glibc only; else a no-op)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass  # not glibc (musl): freed memory stays with the process


def resident_bytes() -> int:
    """Return this process's resident memory, or 0 where /proc cannot tell."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _must_retire(limits: ParseLimits) -> bool:
    """Give back what the last job freed; return whether the worker is still over its keep."""
    if resident_bytes() <= limits.idle_bytes:
        return False
    release_memory()
    return resident_bytes() > limits.idle_bytes


def _serve(conn: Connection, parent_pid: int, limits: ParseLimits, deathsig: bool) -> None:
    """Run a worker: parse each job sent on ``conn`` and send its result back, until EOF."""
    die_with_parent(parent_pid, deathsig=deathsig)
    lower_priority()
    _set_limit("RLIMIT_CORE", 0)  # a worker killed for its CPU time leaves no core file
    _set_limit("RLIMIT_AS", limits.memory_bytes)
    while True:
        try:
            job, args = conn.recv()
        except (EOFError, OSError):
            return  # the build closed the pipe, or is gone
        # The kernel sends SIGXCPU, which kills the worker, when the job runs over.
        _set_limit("RLIMIT_CPU", math.ceil(_cpu_used() + limits.cpu_seconds))
        result: ParseResult
        try:
            result = job(*args)
        except MemoryError:
            result = ParseError("parsing it needed more memory than a feed may use",
                                kind="too_large")
        except Exception as e:  # noqa: BLE001 - a bug hit by one feed fails that feed only
            result = ParseError(f"the parser failed ({type(e).__name__}: {e})",
                                kind="parse_crash")
        retire = _must_retire(limits)  # said with the result, so no job is sent to it
        try:
            conn.send((result, retire))
        except (EOFError, OSError):
            return  # the build is gone
        except Exception as e:  # noqa: BLE001 - a result that cannot be pickled, or too large
            conn.send((ParseError(f"the parsed feed could not be sent back ({e})",
                                  kind="parse_crash"), retire))
        if retire:
            return


class _Worker:
    """One worker process and the build's end of its pipe."""

    def __init__(self, limits: ParseLimits, deathsig: bool) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, name="aggregator-parse", daemon=True,
                                       args=(child, os.getpid(), limits, deathsig))
        self.process.start()
        child.close()
        self.limits = limits

    def run(self, job: ParseJob, args: Sequence[Any]) -> tuple[ParseResult, bool]:
        """Return the job's result, and whether this worker can take another one."""
        timed_out = False
        try:
            self.conn.send((job, tuple(args)))
            ready = wait([self.conn, self.process.sentinel], timeout=self.limits.wall_seconds)
            timed_out = not ready
            if self.conn in ready:
                result: ParseResult
                result, retiring = self.conn.recv()
                if retiring:
                    self.close()  # it exits by itself, its memory with it
                return result, not retiring
        except (EOFError, OSError):
            pass  # the worker died: its exit code says why
        except Exception as e:  # noqa: BLE001 - e.g. an argument that cannot be pickled
            self.stop()
            return ParseError(f"the parse job failed ({type(e).__name__}: {e})",
                              kind="parse_crash"), False
        self.stop()
        return self._death(timed_out), False

    def _death(self, timed_out: bool) -> ParseError:
        code = self.process.exitcode
        if timed_out:  # stop() killed it: its exit code says only that
            return ParseError(f"no answer after {self.limits.wall_seconds:g} s",
                              kind="parse_timeout")
        if code == -getattr(signal, "SIGXCPU", -1):
            return ParseError(f"parsing took over {self.limits.cpu_seconds:g} s of CPU",
                              kind="parse_timeout")
        return ParseError(f"the parse worker died (exit code {code})", kind="parse_crash")

    def stop(self) -> None:
        """End the worker now, whatever it is doing."""
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)

    def close(self) -> None:
        """Let the worker exit by itself (end of input), or end it after a while."""
        self.conn.close()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


class ParsePool:
    """Up to ``size`` parse workers, started when first needed, replaced when they die.

    Use from one event loop: ``await pool.parse(job, *args)`` never raises for a
    feed's sake; what went wrong comes back as a :class:`ParseError` with its ``kind``.
    """

    def __init__(self, size: int, limits: ParseLimits | None = None) -> None:
        self.size = max(1, size)
        self.limits = limits or ParseLimits()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._started = 0
        self._free = asyncio.Semaphore(self.size)
        self._threads = ThreadPoolExecutor(max_workers=self.size,
                                           thread_name_prefix="parse-wait")
        # Workers are started from the loop's thread, which outlives them (die_with_parent).
        self._deathsig = threading.current_thread() is threading.main_thread()

    async def parse(self, job: ParseJob, *args: Any) -> ParseResult:
        """Run ``job(*args)`` in a worker and return its result."""
        async with self._free:
            worker = self._idle.pop() if self._idle else self._start()
            self._busy.add(worker)
            loop = asyncio.get_running_loop()
            try:
                result, reusable = await loop.run_in_executor(self._threads, worker.run,
                                                              job, args)
            except BaseException:
                worker.stop()  # cancelled mid-parse: a worker mid-job cannot be reused
                raise
            finally:
                self._busy.discard(worker)
            if reusable:
                self._idle.append(worker)
            return result

    def _start(self) -> _Worker:
        self._started += 1
        return _Worker(self.limits, self._deathsig)

    @property
    def started(self) -> int:
        """How many workers were started (replacements included)."""
        return self._started

    def close(self) -> None:
        """End every worker and the threads waiting on them."""
        for worker in self._busy:
            worker.stop()
        for worker in self._idle:
            worker.close()
        self._busy.clear()
        self._idle.clear()
        self._threads.shutdown(wait=True, cancel_futures=True)
