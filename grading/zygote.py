"""A warm start for sandboxes: ``python -m grading.zygote CONTROL_FD``, run by
:class:`grading.sandbox.Zygote` in a bubblewrap sandbox of its own.

Starting the runner costs about two seconds before a submission's first line runs: Python,
numpy, torch (and torch._dynamo, which the first optimizer imports), scipy, IPython, acts. The
zygote pays them once per grading worker and then, per submission, forks a child that makes
itself a sandbox inside the zygote's before it runs :func:`grading.runner.main`:

* new PID, mount, network, IPC and UTS namespaces: it sees no other submission and not the
  zygote, reaches nothing (not even loopback), and when its init ends the kernel kills every
  process it started;
* a fresh ``/tmp`` (size-limited tmpfs) and ``/proc`` of its own; the rest is the zygote's file
  system, which bubblewrap built from read-only binds (see :func:`grading.sandbox.command`);
* the submission's own uid (the grading worker's, as in the cold path), no supplementary
  groups, every capability set empty (bounding and inheritable too, securebits locked) and
  ``no_new_privs``, set before the runner reads its first message; the zygote learns that the
  child got there (or why not) on a pipe before it answers the grader.

The zygote itself never runs submission code and holds nothing secret (it has imported
libraries, nothing more); of the capabilities bwrap leaves root it keeps ``KEPT_CAPS`` alone,
what building the children's sandboxes takes. Requests on the control socket: one JSON object
``{"uid": n, "tmp_bytes": n}`` with three file descriptors (the runner's input, its output and
its log); the reply is ``{"ok": true}`` or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import ctypes
import json
import os
import posix
import signal
import socket
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
MS_BIND, MS_REMOUNT, MS_RDONLY = 0x1000, 0x20, 0x1
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 38, 24, 28
# noroot on, no_setuid_fixup and keep_caps off (a uid change empties the capability sets), all locked
SECURE_BITS = 0x1 | 0x2 | 0x8 | 0x20
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
# what bwrap makes read-only in the /proc it mounts; the child's own /proc gets the same
PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")
_exit = posix._exit  # the runner replaces os._exit for the submission; the zygote's code keeps this one

_libc = ctypes.CDLL(None, use_errno=True)

#: the sandbox's read-only binds that lie below /tmp (set in main)
BINDS_UNDER_TMP: list[str] = []

# what the runner and the assignments import; each one is then a dictionary lookup in a child
PREIMPORT = ("numpy", "torch", "torch.nn", "torch._dynamo", "scipy.special", "scipy.integrate",
             "scipy.optimize", "IPython.core.interactiveshell", "acts", "acts.nn", "acts.constants",
             "course.labs", "grading.runner")


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _close_other_fds(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


#: what the zygote keeps (bwrap run as root leaves it every capability): CAP_SETGID, CAP_SETUID,
#: CAP_SETPCAP (to empty a child's bounding set) and CAP_SYS_ADMIN (namespaces, mounts)
CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_SYS_ADMIN = 6, 7, 8, 21
KEPT_CAPS = (CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_SYS_ADMIN)
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_CAPBSET_READ = 47, 4, 23


def _cut_caps(bounding: tuple[int, ...], keep: tuple[int, ...]) -> None:
    """Drop from the bounding set every capability but ``bounding``, empty the ambient and
    inheritable sets, and leave ``keep`` alone in the permitted and effective ones."""
    cap = 0
    while _libc.prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0:  # -1 past the kernel's last one
        if cap not in bounding:
            _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap} from the bounding set")
        cap += 1
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing the ambient set")
    header, data = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    data[0].effective = data[0].permitted = sum(1 << c for c in keep)
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _sandboxed_child(uid: int, tmp_bytes: int, to_runner: int, from_runner: int, log: int, ready: int) -> None:
    """In the forked child: namespaces, mounts, the submission's user; then init and runner.
    ``ready`` gets one line: "ok" once the submission's user is set, or why it could not be."""
    _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    init = os.fork()  # the first process of the new PID namespace
    if init:
        for fd in (to_runner, from_runner, log, ready):  # the submission's ends are init's alone
            os.close(fd)
        os.waitpid(init, 0)
        _exit(0)
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # init ignores what it has no handler for
        _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the zygote
        # the read-only binds below /tmp (a checkout there) are held by descriptor, then bound
        # again on top of the fresh /tmp
        held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in BINDS_UNDER_TMP]
        _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")
        os.umask(0o022)
        for path, fd in held:
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
            os.close(fd)
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        for path in PROC_READ_ONLY:
            if os.path.exists(path):
                _mount(path, path, None, MS_BIND | MS_REC)
                _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        _close_other_fds({0, 1, 2, to_runner, from_runner, ready})
        _check(_libc.prctl(PR_SET_SECUREBITS, SECURE_BITS, 0, 0, 0), "securebits")
        _cut_caps(bounding=(), keep=(CAP_SETGID, CAP_SETUID))  # what switching user still takes
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root to another uid: the permitted and effective sets empty
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        os.chdir("/tmp")
        import numpy

        numpy.random.seed()  # numpy's global generator, seeded once in the zygote, as a cold start would have it
    except BaseException as exc:
        os.write(ready, f"{type(exc).__name__}: {exc}\n".encode())
        _exit(70)
    os.write(ready, b"ok\n")
    os.close(ready)
    runner = os.fork()
    if runner == 0:
        from grading import runner as runner_module

        try:
            code = runner_module.main([str(to_runner), str(from_runner)]) or 0
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        _exit(code)
    os.close(to_runner)
    os.close(from_runner)
    while True:  # reap orphans until the runner is gone; then the namespace ends with init
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        if pid == runner:
            break
    _exit(0)


def _spawn(control: socket.socket) -> bool:
    """Serve one request; False when the grader has gone."""
    try:
        data, fds, _, _ = socket.recv_fds(control, 4096, 3)
    except OSError:
        return False
    if not data:
        return False
    try:
        request = json.loads(data)
        uid, tmp_bytes = int(request["uid"]), int(request["tmp_bytes"])
        if uid <= 0 or len(fds) != 3:
            raise ValueError(f"bad request {request!r} with {len(fds)} descriptors")
        status_r, status_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper is not the child's
                control.close()
                os.close(status_r)
                _sandboxed_child(uid, tmp_bytes, *fds, status_w)
            except BaseException as exc:  # never back into the zygote's loop
                try:
                    os.write(status_w, f"{type(exc).__name__}: {exc}\n".encode())
                finally:
                    _exit(70)
        os.close(status_w)
        with os.fdopen(status_r, "rb") as status:  # the child's line, or nothing if it died first
            line = status.readline(600).decode("utf-8", "replace").strip()
        if line != "ok":
            raise OSError(f"the child could not make its sandbox: {line or 'it ended'}")
        reply = {"ok": True}
    except (ValueError, KeyError, TypeError, OSError) as exc:
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        for fd in fds:
            os.close(fd)
    control.send(json.dumps(reply).encode())
    return True


def _reap(signum, frame) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[0]))
    import importlib

    for name in PREIMPORT:
        importlib.import_module(name)
    from pathlib import Path

    from grading.sandbox import _python_paths

    BINDS_UNDER_TMP[:] = [str(p) for p in _python_paths() if Path("/tmp") in p.parents]
    import torch

    torch.set_num_threads(1)
    _cut_caps(bounding=KEPT_CAPS, keep=KEPT_CAPS)
    signal.signal(signal.SIGCHLD, _reap)
    control.send(json.dumps({"ready": True}).encode())
    while _spawn(control):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
