"""Clusters only the tests use: the shared throwaway test cluster, and clusters that
can be crashed, replicated and promoted (the fault tests, tests/faults.py).

Both are :class:`pgcoord.cluster.Cluster` (the embedded cluster of ``pgcoord db``),
so they run as the same OS user, on loopback, with the same layout under their root.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from pgcoord.cluster import SUPERUSER, Cluster, ClusterError, find_bindir, project_root


def test_cluster() -> Cluster:
    """The throwaway cluster the test run uses (``.pgcoord/testcluster``)."""
    return Cluster(project_root() / ".pgcoord" / "testcluster", tuned_for_tests=True)


class FaultCluster(Cluster):
    """A cluster a test may crash (kill), replicate (make_replica) and promote."""

    def postmaster_pid(self) -> int | None:
        """The pid in postmaster.pid, or None when there is no such file."""
        try:
            first = (self.datadir / "postmaster.pid").read_text().splitlines()[0]
        except (FileNotFoundError, IndexError):
            return None
        return int(first.strip()) if first.strip().isdigit() else None

    def server_pids(self) -> list[int]:
        """The live processes of this server: the postmaster first, then every process
        whose working directory is the data directory (each server process chdirs there;
        that also finds a backend forked just before its postmaster died)."""
        pm = self.postmaster_pid()
        datadir = self.datadir.resolve()
        pids = [pm] if pm is not None and _alive(pm) else []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == pm:
                continue
            try:
                if Path(os.readlink(entry / "cwd")) == datadir and _alive(int(entry.name)):
                    pids.append(int(entry.name))
            except OSError:
                continue
        return pids

    def kill(self, timeout: float = 30.0) -> None:
        """Crash the server: SIGKILL the postmaster, then every process it started, as a
        power cut would stop them (no shutdown checkpoint, no WAL flush beyond what a
        commit already wrote). The next start() runs crash recovery. Returns once none
        of those processes is left, so that start() does not find their shared memory."""
        pids = self.server_pids()
        if not pids:
            return
        for pid in pids:   # the postmaster first: it must not react to its children dying
            # (and restart them)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # Until none is left: the processes listed above and any forked in between
        # (orphans of a dead postmaster exit by themselves soon; kill them anyway).
        deadline = time.monotonic() + timeout
        while True:
            left = sorted(set(p for p in pids if _alive(p)) | set(self.server_pids()))
            if not left:
                break
            if time.monotonic() > deadline:
                raise ClusterError(f"server processes {left} survived SIGKILL for {timeout}s")
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        # The dead postmaster stays a zombie until its parent (init, usually) reaps it,
        # and until then pg_ctl and a new postmaster take its postmaster.pid for a live
        # server. Give the reaper a moment; then the lock file is known stale (its
        # process has exited and holds no shared memory): remove it.
        pm = self.postmaster_pid()
        reap_deadline = time.monotonic() + 5.0
        while pm is not None and _exists(pm) and time.monotonic() < reap_deadline:
            time.sleep(0.05)
        if pm is not None and _exists(pm):
            (self.datadir / "postmaster.pid").unlink(missing_ok=True)

    def restart_after_crash(self) -> None:
        """Start again on the same port (clients reconnect to the same DSN): crash recovery."""
        self.start(port=self.port)

    def make_replica(self, root: Path, extra_conf: tuple[str, ...] = ()) -> FaultCluster:
        """A streaming replica of this (running) cluster under ``root``, made with
        ``pg_basebackup -R`` (standby.signal and primary_conninfo; asynchronous). Not
        started: call start() on it."""
        if not self.running():
            raise ClusterError(f"cannot take a base backup: the cluster at {self.root} is not running")
        replica = FaultCluster(Path(root), tuned_for_tests=self.tuned_for_tests, extra_conf=extra_conf)
        if replica.initialised():
            raise ClusterError(f"{replica.datadir} already holds a cluster")
        replica.prepare_root()
        self.run_server_binary([
            find_bindir() / "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
            "-D", replica.datadir, "-R", "-X", "stream", "-c", "fast",
        ], check=True)
        # The copied postgresql.conf names the primary's socket directory: use the replica's own.
        with open(replica.datadir / "postgresql.conf", "a") as fh:
            fh.write(f"\n# pgcoord replica of {self.root}\n"
                     f"unix_socket_directories = '{replica.rundir}'\n"
                     + "".join(line + "\n" for line in extra_conf))
        return replica

    def promote(self, timeout: int = 60) -> None:
        """Promote a standby (pg_ctl promote, waiting until it accepts writes)."""
        self.run_server_binary([find_bindir() / "pg_ctl", "-D", self.datadir, "-w", "-t", str(timeout), "promote"],
                               check=True)


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:][:1] not in ("Z", "X", "")


def _exists(pid: int) -> bool:
    """Whether the pid names any process, zombies included (what kill(pid, 0) sees)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
