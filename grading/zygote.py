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
  groups, no capabilities and ``no_new_privs``, set before the runner reads its first message.

The zygote itself never runs submission code and holds nothing secret (it has imported
libraries, nothing more); it keeps CAP_SYS_ADMIN, CAP_SETUID and CAP_SETGID inside its
bubblewrap sandbox to build the children's. Requests on the control socket: one JSON object
``{"uid": n, "tmp_bytes": n}`` with three file descriptors (the runner's input, its output and
its log); the reply is ``{"ok": true}`` or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)

# what the runner and the assignments import; each one is then a dictionary lookup in a child
PREIMPORT = ("numpy", "torch", "torch.nn", "torch._dynamo", "scipy.special", "scipy.integrate",
             "scipy.optimize", "IPython.core.interactiveshell", "acts", "acts._torch", "acts.constants",
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


def _sandboxed_child(uid: int, tmp_bytes: int, to_runner: int, from_runner: int, log: int) -> None:
    """In the forked child: namespaces, mounts, the submission's user; then init and runner."""
    _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    init = os.fork()  # the first process of the new PID namespace
    if init:
        os.waitpid(init, 0)
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # init ignores what it has no handler for
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the zygote
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    _close_other_fds({0, 1, 2, to_runner, from_runner})
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to another uid: every capability is gone
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.chdir("/tmp")
    runner = os.fork()
    if runner == 0:
        from grading import runner as runner_module

        os._exit(runner_module.main([str(to_runner), str(from_runner)]) or 0)
    os.close(to_runner)
    os.close(from_runner)
    while True:  # reap orphans until the runner is gone; then the namespace ends with init
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        if pid == runner:
            break
    os._exit(0)


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
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's reaper is not the child's
                control.close()
                _sandboxed_child(uid, tmp_bytes, *fds)
            except BaseException as exc:  # never back into the zygote's loop
                try:
                    os.write(fds[2], f"the sandbox could not start: {exc}\n".encode())
                finally:
                    os._exit(70)
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
    import torch

    torch.set_num_threads(1)
    signal.signal(signal.SIGCHLD, _reap)
    control.send(json.dumps({"ready": True}).encode())
    while _spawn(control):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
