#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""service_manager.py - systemd's side of sd_notify(3) and sd_listen_fds(3)
for one daemon, as those pages document it, for tests on machines without
systemd as PID 1.

Owns: a datagram $NOTIFY_SOCKET that takes READY=1, STOPPING=1, FDSTORE=1
with FDNAME= and the fds (SCM_RIGHTS) and FDSTOREREMOVE=1 with FDNAME=;
dropping stored fds that report POLLHUP/POLLERR; starting the daemon with
the stored fds as fd 3.. and $LISTEN_FDS, $LISTEN_FDNAMES, $LISTEN_PID.
Used as a module (Manager, by fdstore_check.py) and as a program (below,
by tests/suite-65-vm-takeover.sh through vm/run).  Does not own the
daemon, nor check anything.
"""
import array
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time


class Manager:
    """The service manager's side of sd_notify and the fd store."""

    def __init__(self, workdir, command, log_path=None):
        """command: the daemon's argv; its output goes to workdir/daemon-N.log
        (or to log_path, appended, for every run)."""
        self.workdir, self.command, self.log_path_all = workdir, list(command), log_path
        self.path = os.path.join(workdir, "notify.sock")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        self.store = []             # [name, fd]
        self.ready = self.stopping = 0
        self.p = None
        self.procs = []
        self.log = None
        self.runs = 0
        # the manager reads its socket all the time, as PID 1 does (a
        # daemon's sd_notify blocks when the datagram queue is full)
        self.lock = threading.RLock()
        self.running = True
        self.th = threading.Thread(target=self.loop, daemon=True)
        self.th.start()

    def loop(self):
        while self.running:
            self.pump(0.02)

    def pump(self, secs=0.0):
        with self.lock:
            self._pump(secs)

    def _pump(self, secs):
        end = time.time() + secs
        while True:
            r, _, _ = select.select([self.s], [], [], max(0, end - time.time()))
            if not r:
                break
            msg, anc, _f, _a = self.s.recvmsg(4096, socket.CMSG_SPACE(64 * 4))
            fds = array.array("i")
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % 4])
            kv = dict(l.split("=", 1) for l in msg.decode().split("\n") if "=" in l)
            if kv.get("FDSTORE") == "1":
                for fd in fds:
                    self.store.append([kv.get("FDNAME", "stored"), fd])
                fds = []
            if kv.get("FDSTOREREMOVE") == "1":
                for e in [e for e in self.store if e[0] == kv.get("FDNAME")]:
                    os.close(e[1])
                    self.store.remove(e)
            if kv.get("READY") == "1":
                self.ready += 1
            if kv.get("STOPPING") == "1":
                self.stopping += 1
            for fd in fds:
                os.close(fd)
        # what systemd does with a stored fd that hung up
        for e in list(self.store):
            pl = select.poll()
            pl.register(e[1], select.POLLIN)
            if any(ev & (select.POLLHUP | select.POLLERR) for _fd, ev in pl.poll(0)):
                os.close(e[1])
                self.store.remove(e)

    def names(self):
        with self.lock:
            return sorted(re.sub(r"-\d+$", "", n) for n, _fd in self.store)

    def start(self, *args):
        """Start the daemon (extra args appended) with the store's fds;
        True once it said READY=1 (20 s at most)."""
        self.runs += 1
        self.log_path = self.log_path_all or os.path.join(self.workdir,
                                                          "daemon-%d.log" % self.runs)
        self.log = open(self.log_path, "ab")
        with self.lock:
            fds = [os.dup(fd) for _n, fd in self.store]
            names = [n for n, _fd in self.store]
        env = dict(os.environ, NOTIFY_SOCKET=self.path)
        if fds:
            env.update(LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=":".join(names))

        def place_fds():
            high = [os.dup(fd) for fd in fds]     # out of the way first
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i, inheritable=True)
                os.close(fd)
        # LISTEN_PID must be the daemon's pid: sh sets it and execs it
        self.p = subprocess.Popen(
            ["sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"'] + self.command + list(args),
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=place_fds, close_fds=False)
        for fd in fds:
            os.close(fd)
        self.procs.append(self.p)
        end = time.time() + 20
        while self.ready < self.runs and time.time() < end and self.p.poll() is None:
            time.sleep(0.02)
        return self.ready >= self.runs

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig):
        """Send sig, wait for the exit (SIGKILL after 20 s): its status."""
        self.p.send_signal(sig)
        try:
            st = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            st = self.p.wait()
        time.sleep(0.1)      # its last messages read
        return st


    def kill_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def main():
    """service_manager.py --dir DIR -- DAEMON ARGS...: run DAEMON under the
    emulated manager until SIGTERM/SIGINT (stop it, exit with its status);
    SIGUSR1 restarts it (SIGTERM, start), SIGUSR2 crashes it (SIGKILL,
    start).  Each event is logged on stdout with the time it took."""
    import signal
    args = sys.argv[1:]
    if len(args) < 4 or args[0] != "--dir" or args[2] != "--":
        print("usage: service_manager.py --dir DIR -- DAEMON ARGS...", file=sys.stderr)
        return 2
    m = Manager(args[1], args[3:], log_path="/dev/stdout")
    events = []
    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: events.append(s))
    if not m.start():
        m.kill_all()
        return 1
    while True:
        while not events:
            time.sleep(0.02)
        s = events.pop(0)
        if s in (signal.SIGTERM, signal.SIGINT):
            st = m.stop(signal.SIGTERM)
            m.running = False
            print("service_manager: stopped, daemon exit %d" % st, flush=True)
            return 0 if st == 0 else 1
        t0 = time.time()
        st = m.stop(signal.SIGTERM if s == signal.SIGUSR1 else signal.SIGKILL)
        ok = m.start()
        print("service_manager: %s: daemon exit %d, the next READY %s after %.0f ms" %
              ("restart" if s == signal.SIGUSR1 else "crash", st,
               "came" if ok else "did not come", (time.time() - t0) * 1000), flush=True)
        if not ok:
            m.kill_all()
            return 1


if __name__ == "__main__":
    sys.exit(main())
