#!/usr/bin/env python3
"""CPU seconds (user + system) of each given process and everything under it, read from /proc: its own time, the
time of children it already reaped (cutime + cstime) and the time of its live children. For a postmaster that is
every backend and auxiliary process of the node, including backends that exited. One number per PID, in order."""
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "; fields[0] is the state (field 3)
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ppid, utime + stime, cutime + cstime


def main():
    wanted = [int(p) for p in sys.argv[1:]]
    own, children_live = {}, {p: 0 for p in wanted}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            ppid, self_t, reaped_t = stat(int(name))
        except (OSError, ValueError):
            continue  # exited while we looked
        pid = int(name)
        if pid in children_live:
            own[pid] = self_t + reaped_t
        if ppid in children_live:
            children_live[ppid] += self_t + reaped_t
    for p in wanted:
        print("%.2f" % ((own.get(p, 0) + children_live[p]) / TICKS))


if __name__ == "__main__":
    main()
