"""The sandbox a submission runs in: bubblewrap, an unprivileged user, no network.

:func:`start` launches :mod:`grading.runner` in a sandbox and returns a :class:`Sandbox` with the
two ends of its channel. What the submission gets:

* a user of its own: uid ``FIRST_UID + the worker's pid`` when the grader runs as root (unique
  among the sandboxes running at the same time, also across concurrent graders) (the sandbox is built as
  root, then ``setpriv`` drops every capability and switches user before Python starts), else
  uid 65534 in a user namespace of the teacher's account;
* new PID, network (loopback only), IPC and UTS namespaces: it sees only its own processes, reaches
  nothing, and when the runner ends the kernel kills every process it started, daemons included;
* a file system of read-only binds, only what Python needs: the system (``/usr``), the Python
  installation, the virtual environment, and the ``acts`` and ``grading`` packages; a private
  ``/tmp`` (tmpfs, size-limited), which is its home and is gone with the sandbox. The course's
  assignment sources, the built autograders and the teacher's files are not in it;
* hard limits (set by the runner before any submission code runs) on CPU time, address space,
  processes, open files and file size; a wall-clock limit enforced from outside.

As root, sandboxes are not started cold: each grading process keeps a :class:`Zygote`
(:mod:`grading.zygote`), a bubblewrap sandbox as above with the libraries imported, and every
submission's sandbox is forked from it with namespaces, ``/tmp``, ``/proc`` and a user of its
own (about 2 s less per submission). ``GRADING_COLD_SANDBOX=1`` starts each one cold instead.

Without bubblewrap, or without user namespaces when not root, :func:`check` says what is missing
and how to allow it; the grader then refuses to start unless the teacher asks for
``--unsafe-no-sandbox`` (a plain subprocess, marked on every row).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import ROOT

# Far above the ranges Debian and Ubuntu give users and their subordinate uids (/etc/subuid
# starts at 100000, 65536 per user): a sandbox's uid must belong to nobody else, since its
# processes are swept by uid at the end. sandbox_uid() checks it anyway.
FIRST_UID = 1_500_000_000
NOBODY = 65534
TMP_BYTES = 256 * 2**20


class SandboxUnavailable(RuntimeError):
    pass


def _python_paths() -> list[Path]:
    """What the interpreter and the course's packages are read from."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    exe = Path(sys.executable)
    paths.add(exe.parent.resolve())
    paths.add(exe.resolve().parent.parent)
    paths.add((ROOT / "grading").resolve())  # the runner (PYTHONPATH is ROOT)
    for package in ("acts", "course"):  # where this interpreter imports the course's packages from
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            paths.add(Path(spec.origin).resolve().parent)
    # keep the smallest set: drop paths inside another one
    ordered = sorted(paths, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for p in ordered:
        if str(p).startswith("/usr/") or p == Path("/usr"):
            continue
        if not any(p == k or k in p.parents for k in kept):
            kept.append(p)
    return kept


def sandbox_uid() -> int:
    """The uid a sandbox started by this process runs as: one process runs one sandbox at a time,
    and no two live processes share a pid, so no two live sandboxes share a uid (their process
    limits and the final sweep are theirs alone)."""
    uid = FIRST_UID + os.getpid()
    if _uid_in_use(uid):
        raise SandboxUnavailable(f"uid {uid}, which the sandbox would run as, belongs to a user or a subordinate-uid "
                                 "range (/etc/passwd, /etc/subuid): change grading.sandbox.FIRST_UID")
    return uid


def _uid_in_use(uid: int) -> bool:
    try:
        if any(line.split(":")[2] == str(uid) for line in Path("/etc/passwd").read_text().splitlines()
               if line.count(":") >= 2):
            return True
    except OSError:
        pass
    try:
        for line in Path("/etc/subuid").read_text().splitlines():
            parts = line.split(":")
            if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                if int(parts[1]) <= uid < int(parts[1]) + int(parts[2]):
                    return True
    except OSError:
        pass
    return False


def python() -> str:
    """This interpreter, named through the real path of its environment (what the sandbox binds)."""
    return str(Path(sys.prefix).resolve() / "bin" / Path(sys.executable).name)


def _dirs_for(path: Path) -> list[str]:
    """bwrap arguments creating each missing parent of ``path`` world-readable (bwrap makes
    them 0700 otherwise, which an unprivileged user cannot cross)."""
    out = []
    for parent in reversed(path.parents):
        if str(parent) in ("/", "/usr") or str(parent).startswith("/usr/"):
            continue
        out += ["--perms", "0755", "--dir", str(parent)]
    return out


def command(argv: list[str], *, as_root: bool | None = None, zygote: bool = False) -> list[str]:
    """The bwrap command line that runs ``argv`` in a fresh sandbox. ``zygote``: for
    :mod:`grading.zygote` (root only), which stays root, keeping what it needs to make its
    children's sandboxes, instead of switching to the sandbox's user."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    as_root = os.geteuid() == 0 if as_root is None else as_root
    if zygote and not as_root:
        raise SandboxUnavailable("the zygote needs root; without it every sandbox is started cold")
    cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session"]
    if as_root:
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        if zygote:  # to make its children's namespaces and mounts, and drop their bounding set
            cmd += ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"]
    else:
        # --disable-userns: the sandbox cannot make user namespaces of its own (the kernel's
        # namespace code is attack surface; root's sandboxes are already without capabilities)
        cmd += ["--unshare-user", "--disable-userns", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    # the private /tmp first: a bind below /tmp (a checkout in /tmp) must land on top of it
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for link in ("lib", "lib64", "bin", "sbin", "lib32", "libx32"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), f"/{link}"]
    made: set[str] = set()
    for path in _python_paths():
        for arg in _chunks(_dirs_for(path), 4):
            if arg[3] not in made:
                made.add(arg[3])
                cmd += arg
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--chdir", "/tmp", "--clearenv", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "MPLBACKEND", "Agg",
            "--setenv", "MPLCONFIGDIR", "/tmp", "--setenv", "OMP_NUM_THREADS", "1",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONPATH", str(ROOT),
            "--setenv", "LANG", "C.UTF-8"]
    if as_root and not zygote:
        uid = str(sandbox_uid())
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs"]
    return cmd + argv


def _chunks(items: list[str], n: int) -> list[list[str]]:
    return [items[i:i + n] for i in range(0, len(items), n)]


def check() -> str | None:
    """None if a sandbox can be started here, else what is missing and how to allow it."""
    try:
        cmd = command([python(), "-c", "import os; assert os.getuid() != 0"])
    except SandboxUnavailable:
        return ("bubblewrap is not installed. Install it (Debian/Ubuntu: `apt-get install bubblewrap`; "
                "`make setup` does this when run as root), or grade with --unsafe-no-sandbox for your own "
                "testing only.")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if done.returncode == 0:
        return None
    why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no message)"]
    hint = ("run the grader as root, or allow unprivileged user namespaces "
            "(`sysctl -w kernel.unprivileged_userns_clone=1`, or on Ubuntu 24.04 "
            "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`)") if os.geteuid() != 0 else \
        "check that the kernel allows mount and PID namespaces (containers may need --privileged or a seccomp profile that allows them)"
    return f"the sandbox could not start ({why[0]}): {hint}."


@dataclass
class Sandbox:
    process: subprocess.Popen
    to_runner: int
    from_runner: int
    log_path: Path
    workdir: Path
    uid: int | None

    def log_tail(self, n: int = 800) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-n:].decode("utf-8", "replace").strip()

    def close(self) -> None:
        """Stop the runner and everything it started; remove the sandbox's files."""
        for fd in (self.to_runner, self.from_runner):
            try:
                os.close(fd)
            except OSError:
                pass
        inits = _children(self.process.pid)
        _kill_bwrap(self.process)
        # the namespace's init outlives bwrap for a moment: it exits only once the kernel has
        # killed and reaped every process of its PID namespace, so waiting for it means none is left
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in inits) and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.uid is not None:
            kill_user(self.uid)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _kill_bwrap(process: subprocess.Popen) -> None:
    """SIGKILL a bwrap started in a session of its own, and wait for it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _exited(status: str) -> bool:
    """Whether the process of this ``/proc/PID/status`` text is a zombie: exited, not yet reaped."""
    return "\nState:\tZ" in status


def _alive(pid: int) -> bool:
    """Whether ``pid`` exists and has not yet exited."""
    try:
        return not _exited(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return False


def kill_user(uid: int) -> list[int]:
    """SIGKILL every live process of ``uid`` (a sandbox's own user); return their pids. Zombies
    are not counted: they have exited and wait only for their (new) parent to reap them."""
    killed = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            status = (p / "status").read_text()  # its Name line is the process's to choose
            if status.split("\nUid:")[1].split()[0] == str(uid) and not _exited(status):
                os.kill(int(p.name), signal.SIGKILL)
                killed.append(int(p.name))
        except (OSError, IndexError, ValueError):
            pass
    return killed


@dataclass
class ForkedSandbox(Sandbox):
    """A sandbox forked from this process's :class:`Zygote`: its processes are all of its uid."""

    closed: bool = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.to_runner, self.from_runner):
            try:
                os.close(fd)
            except OSError:
                pass
        # SIGKILL to its init ends the PID namespace; the sweep also catches a process caught
        # between fork and exec, until none of the uid is alive
        deadline = time.monotonic() + 30
        while kill_user(self.uid) and time.monotonic() < deadline:
            time.sleep(0.02)
        shutil.rmtree(self.workdir, ignore_errors=True)


class Zygote:
    """:mod:`grading.zygote` in a bubblewrap sandbox, with the libraries imported once: each
    :meth:`spawn` forks a sandboxed runner from it in some milliseconds instead of seconds."""

    def __init__(self):
        self.owner = os.getpid()
        self.workdir = Path(tempfile.mkdtemp(prefix="zygote-"))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.log_path = self.workdir / "zygote.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command([python(), "-m", "grading.zygote", str(theirs.fileno())], zygote=True),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, pass_fds=(theirs.fileno(),),
                start_new_session=True, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        theirs.close()
        self.control = ours
        self.control.settimeout(120)
        try:
            ready = json.loads(self.control.recv(4096) or b"{}")
        except (OSError, ValueError):
            ready = {}
        if not ready.get("ready"):
            why = self.log_path.read_bytes()[-600:].decode("utf-8", "replace").strip()
            self.close()
            raise SandboxUnavailable(f"the zygote did not start: {why or '(no output)'}")
        self.control.settimeout(30)

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def spawn(self, uid: int, fds: list[int]) -> None:
        """A sandboxed runner as ``uid``, on (its input, its output, its log)."""
        socket.send_fds(self.control, [json.dumps({"uid": uid, "tmp_bytes": TMP_BYTES}).encode()], fds)
        reply = json.loads(self.control.recv(4096) or b"{}")
        if not reply.get("ok"):
            raise SandboxUnavailable(f"the zygote could not fork a sandbox: {reply.get('error', 'it ended')}")

    def close(self) -> None:
        if self.owner != os.getpid():  # a forked copy of this process does not own the zygote
            return
        self.control.close()
        _kill_bwrap(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


_zygote: Zygote | None = None
_zygote_failed: str | None = None  # why this process starts its sandboxes cold


def _forked() -> ForkedSandbox:
    global _zygote
    uid = sandbox_uid()
    kill_user(uid)  # nothing of an earlier sandbox of this process may meet the next one
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-"))
    log_path = workdir / "output.log"
    to_r, to_runner = os.pipe()
    from_runner, from_w = os.pipe()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for attempt in (1, 2):  # a zygote that died (killed, out of memory) is started again once
            if _zygote is None or not _zygote.alive():
                if _zygote is not None:
                    _zygote.close()
                _zygote = Zygote()
                atexit.register(_zygote.close)
            try:
                _zygote.spawn(uid, [to_r, from_w, log])
                break
            except (OSError, ValueError, SandboxUnavailable):
                _zygote.close()
                _zygote = None
                kill_user(uid)  # a child the dead zygote may have started
                if attempt == 2:
                    raise
    except BaseException:
        for fd in (to_runner, from_runner):
            os.close(fd)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        for fd in (to_r, from_w, log):
            os.close(fd)
    return ForkedSandbox(None, to_runner, from_runner, log_path, workdir, uid)


#: Set to 1 to start every sandbox cold (bwrap and a new Python per submission) when root.
COLD_ENV = "GRADING_COLD_SANDBOX"


def start(*, unsafe: bool = False) -> Sandbox:
    """The runner, started in a sandbox (or, unsafe, as a plain child process). As root, it is
    forked from a :class:`Zygote`; otherwise (or with ``GRADING_COLD_SANDBOX=1``) bwrap starts it."""
    global _zygote_failed
    if not unsafe and os.geteuid() == 0 and os.environ.get(COLD_ENV) != "1" and _zygote_failed is None:
        try:
            return _forked()
        except SandboxUnavailable as exc:  # e.g. a kernel that refuses mounts in the zygote
            _zygote_failed = str(exc)
            print(f"grading: every sandbox is started cold from now on, since {exc}", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="sandbox-"))
    log_path = workdir / "output.log"
    to_r, to_runner = os.pipe()
    from_runner, from_w = os.pipe()
    argv = [python(), "-m", "grading.runner", str(to_r), str(from_w)]
    uid = None
    if unsafe:
        cmd = argv
        env = {"HOME": str(workdir), "TMPDIR": str(workdir), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg",
               "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    else:
        cmd = command(argv)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # bwrap's own environment: nothing of the grader's
        if os.geteuid() == 0:
            uid = sandbox_uid()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   pass_fds=(to_r, from_w), start_new_session=True, env=env,
                                   cwd=workdir if unsafe else None)
    os.close(to_r)
    os.close(from_w)
    return Sandbox(process, to_runner, from_runner, log_path, workdir, uid)
