#!/usr/bin/python3
"""seccomp_exec.py UNIT COMMAND [ARGS...]: runs COMMAND under the system call filter of a systemd unit.

Reads the unit's SystemCallFilter= lines in order, as systemd does (the first allow list starts from
nothing; a line starting with ~ removes its calls), expands the @groups with `systemd-analyze
syscall-filter`, and installs the resulting allow list with libseccomp (Debian's python3-seccomp, hence
/usr/bin/python3) before exec'ing COMMAND. A call outside the list kills the process with SIGSYS
(exit status 159 from a shell) instead of systemd's SystemCallErrorNumber=EPERM, so that a call
certgate needs and the unit forbids cannot go unnoticed. SystemCallArchitectures=native is what a
libseccomp filter does by default. MemoryDenyWriteExecute=yes adds systemd's argument checks on mmap,
mprotect, pkey_mprotect and shmat. Prints the number of allowed calls on standard error.
"""

import os
import subprocess
import sys

import seccomp


def group(name, cache={}):
    """The system calls of one @group, nested groups expanded."""
    if name not in cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True, capture_output=True,
                             text=True).stdout
        calls = set()
        for line in out.splitlines()[1:]:
            item = line.strip()
            if not item or item.startswith("#"):
                continue
            calls |= group(item) if item.startswith("@") else {item}
        cache[name] = calls
    return cache[name]


def allowed(unit):
    allow = None
    for line in open(unit):
        line = line.strip()
        if not line.startswith("SystemCallFilter="):
            continue
        value = line.split("=", 1)[1]
        deny = value.startswith("~")
        calls = set()
        for item in value.lstrip("~").split():
            calls |= group(item) if item.startswith("@") else {item}
        if deny:
            allow = (allow or set()) - calls
        else:
            allow = (allow or set()) | calls
    if not allow:
        sys.exit("seccomp_exec: %s has no SystemCallFilter allow list" % unit)
    return allow


PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000


def deny_write_execute(f, calls):
    """MemoryDenyWriteExecute=yes as systemd implements it: no mapping both writable and executable
    (mmap), no making memory executable later (mprotect, pkey_mprotect), no executable shared memory
    (shmat). These calls leave the allow list and come back only with harmless arguments (argument 2)."""
    rules = {
        "mmap": [(PROT_WRITE | PROT_EXEC, 0), (PROT_WRITE | PROT_EXEC, PROT_WRITE), (PROT_WRITE | PROT_EXEC, PROT_EXEC)],
        "mprotect": [(PROT_EXEC, 0)],
        "pkey_mprotect": [(PROT_EXEC, 0)],
        "shmat": [(SHM_EXEC, 0)],
    }
    n = 0
    for call, allowed_masks in rules.items():
        if call in calls:
            calls.discard(call)
            for mask, value in allowed_masks:
                f.add_rule(seccomp.ALLOW, call, seccomp.Arg(2, seccomp.MASKED_EQ, mask, value))
            n += 1
    return n


def main():
    unit, command = sys.argv[1], sys.argv[2:]
    calls = allowed(unit)
    f = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)
    n = 0
    if "MemoryDenyWriteExecute=yes" in {line.strip() for line in open(unit)}:
        n += deny_write_execute(f, calls)
    for call in sorted(calls):
        try:
            f.add_rule(seccomp.ALLOW, call)
            n += 1
        except (RuntimeError, ValueError, OSError):
            pass  # a name this architecture or libseccomp does not know
    print("seccomp_exec: %d system calls allowed (%s)" % (n, unit), file=sys.stderr)
    f.load()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
