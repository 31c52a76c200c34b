"""Worker processes for the benchmarks: ``python -m b24app.worker`` started, held, killed, measured.

Measured from outside, through ``/proc``: CPU time (user + system, every thread of the process)
and peak resident memory (``VmHWM``). Holding a worker (SIGSTOP) lets a benchmark queue a whole
burst of events first, so that every deal has "arrived at once" when it lets go (SIGCONT).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def worker_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The process environment of a production worker with these settings (upper-case names)."""
    return {**os.environ, "APP_ENV": "production", "LOG_LEVEL": "WARNING", **settings}


@dataclass
class WorkerProcess:
    """One ``python -m b24app.worker``; its figures stay readable after it exited (last reading)."""

    process: subprocess.Popen[bytes]
    last_cpu_s: float = 0.0
    last_peak_rss_mb: float = 0.0

    @classmethod
    def start(cls, env: Mapping[str, str], log_path: str | None = None) -> WorkerProcess:
        """Start one; ``log_path``: its log lines (stderr) go to this file instead of ours."""
        command = [sys.executable, "-m", "b24app.worker"]
        if log_path is None:
            return cls(subprocess.Popen(command, env=dict(env)))
        with open(log_path, "wb") as log:
            return cls(subprocess.Popen(command, env=dict(env), stderr=log))

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (``/proc/{pid}/stat`` fields 14 and 15)."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                # The command name (field 2) may hold spaces: count fields after its closing ")".
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return self.last_cpu_s
        self.last_cpu_s = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return self.last_cpu_s

    def peak_rss_mb(self) -> float:
        """The highest resident set size the process has had (``VmHWM``), in MB."""
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self.last_peak_rss_mb = round(int(line.split()[1]) / 1024, 1)
        except (FileNotFoundError, ProcessLookupError):
            pass
        return self.last_peak_rss_mb

    def hold(self) -> None:
        """Freeze the process (SIGSTOP): it takes no job until ``release``.

        Returns once every thread is stopped: the signal is delivered asynchronously, and a thread
        still running for a moment could take a database lock after the caller looked for one.
        """
        self.process.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 5.0
        while not self._stopped() and time.monotonic() < deadline:
            time.sleep(0.001)

    def _stopped(self) -> bool:
        """Whether every thread of the process is in state ``T`` (``/proc/{pid}/task/*/stat``)."""
        try:
            tasks = os.listdir(f"/proc/{self.pid}/task")
            states = []
            for task in tasks:
                with open(f"/proc/{self.pid}/task/{task}/stat") as stat:
                    states.append(stat.read().rsplit(")", 1)[1].split()[0])
        except (FileNotFoundError, ProcessLookupError):
            return True  # gone: nothing of it runs
        return all(state in ("T", "t") for state in states)

    def release(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no graceful hand-back; its lane leases stay until they expire."""
        self.cpu_seconds()
        self.peak_rss_mb()
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (a deploy): running lanes hand back and the process exits."""
        if not self.alive():
            return
        self.cpu_seconds()
        self.peak_rss_mb()
        self.process.send_signal(signal.SIGCONT)  # a held process could not act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
