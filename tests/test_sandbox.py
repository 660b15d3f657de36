"""The grader's trust boundary (issue 15), tested with hostile submissions.

A one-question assignment defined here (``square(x)``, with a hidden test whose source holds a
secret) is graded by :func:`grading.trusted.grade_cells`: the submission's cells run in the
sandbox, the tests in this process. Each hostile submission defines a wrong or no ``square`` and
then attacks: it forges the comparison functions and otter's machinery, looks for the hidden test,
writes outside its folder, connects to a port of this machine, starts many processes and a
detached daemon, loops forever, prints without end, exits, calls the reference implementation,
and writes garbage into the channel. None may score more than the blank submission, each must
leave nothing behind, and the correct one must still get full marks.

The wire format is tested alone first: what the sandbox sends is never unpickled.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grading import sandbox, wire  # noqa: E402
from grading.trusted import grade_cells  # noqa: E402

SECRET = f"hidden-{uuid.uuid4().hex}"
TESTS = {"q1": f'''
from otter.test_files import test_case

OK_FORMAT = False
name = "q1"
points = 2

@test_case(points=1, hidden=False)
def test_square_public(square):
    import numpy as np
    assert np.allclose(square(np.array([1.0, 2.0])), [1.0, 4.0])

@test_case(points=1, hidden=True)
def test_square_hidden(square):
    import numpy as np
    secret = "{SECRET}"
    x = np.random.default_rng(7).normal(size=50)
    y = square(x)
    assert isinstance(y, np.ndarray) and y.shape == x.shape
    assert np.allclose(y, x * x, rtol=1e-12, atol=0) and secret
'''}
REFERENCES = {"q1": ["numpy.square", "numpy.power"]}
CORRECT = "import numpy as np\n\ndef square(x):\n    x = np.asarray(x, dtype=float)\n    return x * x\n"


def _sandbox_or_skip():
    missing = sandbox.check()
    if missing:
        if os.environ.get("ACTS_REQUIRE_SANDBOX"):
            pytest.fail(f"no sandbox on this machine: {missing}")
        pytest.skip(f"no sandbox on this machine: {missing}")


def grade(*cells: str, timeout: float = 60, cell_timeout: float = 20, call_timeout: float = 10) -> dict:
    _sandbox_or_skip()
    return grade_cells(list(enumerate(cells, start=1)), TESTS, REFERENCES, timeout=timeout,
                       cell_timeout=cell_timeout, call_timeout=call_timeout)


def score(record: dict) -> float:
    return sum(q["score"] for q in record["questions"].values())


def _processes_with(marker: str) -> list[str]:
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if marker.encode() in (p / "cmdline").read_bytes():
                    found.append(p.name)
            except OSError:
                pass
    return found


# --- the wire ---------------------------------------------------------------------------
def _npy(a, allow_pickle=False) -> str:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=allow_pickle)
    return base64.b64encode(buf.getvalue()).decode()


def test_wire_round_trip_keeps_types():
    value = {"a": np.arange(6.0).reshape(2, 3), "s": np.float32(1.5), "i": np.int64(3), "t": (1, 2.5, "x"),
             "set": {1, 2}, "big": 2**70, "z": 1 + 2j, "none": None, "nan": float("nan"),
             "tensor": torch.linspace(0, 1, 5, dtype=torch.float64, requires_grad=True),
             "net": torch.nn.Sequential(torch.nn.Linear(3, 2).double(), torch.nn.ReLU())}
    back = wire.decode(wire.encode(value))
    assert np.array_equal(back["a"], value["a"]) and back["a"].dtype == np.float64
    assert type(back["s"]) is np.float32 and type(back["i"]) is np.int64
    assert back["t"] == (1, 2.5, "x") and back["set"] == {1, 2} and back["big"] == 2**70 and back["z"] == 1 + 2j
    assert back["none"] is None and np.isnan(back["nan"])
    assert back["tensor"].requires_grad and torch.equal(back["tensor"], value["tensor"])
    for p, q in zip(back["net"].parameters(), value["net"].parameters()):
        assert torch.equal(p, q) and p.dtype == torch.float64


def test_acts_layers_cross_as_their_name_and_nothing_with_parameters_does():
    import acts

    net = torch.nn.Sequential(torch.nn.Linear(3, 4), acts.get("gelu").module(approximate="tanh"),
                              torch.nn.Linear(4, 2), acts.get("sigmoid").module())
    back = wire.decode(wire.encode(net))
    assert [type(m) for m in back] == [type(m) for m in net] and back[1].approximate == "tanh"
    x = torch.randn(5, 3)
    assert torch.equal(back(x), net(x))
    for layer in (acts.get("prelu").module(), acts.get("relu").module(compiled=True)):
        with pytest.raises(wire.WireError):  # a learnable slope would not cross; a compiled form is code
            wire.encode(layer)
    for payload in ({"$module": "acts", "name": "not_an_activation"},
                    {"$module": "acts", "name": "prelu"},  # has parameters
                    {"$module": "acts", "name": "gelu", "args": {"approximate": "magic"}},
                    {"$module": "acts", "name": "gelu", "args": {"approximate": ["none"]}},
                    {"$module": "acts", "name": "relu", "args": {"compiled": "inductor"}}):
        with pytest.raises(wire.WireError):
            wire.decode(payload)


def test_wire_never_unpickles():
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch /tmp/pwned-by-the-grader-test",))

    for payload in ({"$nd": _npy(np.array([Boom()], dtype=object), allow_pickle=True)},
                    {"$nd": base64.b64encode(pickle.dumps(Boom())).decode()},
                    {"$np": _npy(np.array(["text"]))},
                    {"$nd": "not base64!"}, {"$what": 1}, {"plain": "dict"}, {"$tensor": _npy(np.array([True])),
                                                                                "requires_grad": True}):
        with pytest.raises(wire.WireError):
            wire.decode(payload)
    assert not Path("/tmp/pwned-by-the-grader-test").exists()
    with pytest.raises(wire.WireError):
        wire.encode(object())
    with pytest.raises(wire.WireError):
        wire.decode({"$module": "Conv2d"})


def test_wire_frames_are_bounded():
    r, w = os.pipe()
    try:
        os.write(w, (wire.MAX_FRAME + 1).to_bytes(4, "big"))
        with pytest.raises(wire.WireError):
            wire.receive(r, timeout=5)
        os.write(w, (5).to_bytes(4, "big") + b"[1,2]")
        with pytest.raises(wire.WireError):  # JSON, but not an object
            wire.receive(r, timeout=5)
        with pytest.raises(TimeoutError):
            wire.receive(r, timeout=0.2)
    finally:
        os.close(r)
        os.close(w)


# --- the sandbox itself -----------------------------------------------------------------
PROBE = r"""
import json, os, resource, socket, sys
out = {"uid": os.getuid(), "euid": os.geteuid(), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
       "exercises": os.path.exists(sys.argv[1]), "home": os.path.expanduser("~")}
for path in ("/usr/pwned", sys.argv[2], "/tmp/ok"):
    try:
        open(path, "w").write("x"); out["wrote:" + path] = True
    except OSError:
        out["wrote:" + path] = False
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[3])), timeout=2); out["connected"] = True
except OSError:
    out["connected"] = False
caps = [l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1]
out["caps"] = int(caps, 16)
print(json.dumps(out))
"""


def test_the_sandbox_is_a_stranger_with_no_network_and_read_only_files(tmp_path):
    _sandbox_or_skip()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        cmd = sandbox.command([sandbox.python(), "-c", PROBE, str(ROOT / "exercises"), str(ROOT / "pwned"),
                                  str(port)])
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    finally:
        listener.close()
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["uid"] not in (0, os.getuid()) and out["euid"] == out["uid"], out
    assert out["caps"] == 0, out
    assert not out["exercises"], "the assignment sources are visible in the sandbox"
    assert out["wrote:/tmp/ok"] and not out["wrote:/usr/pwned"] and not out[f"wrote:{ROOT / 'pwned'}"], out
    assert not (ROOT / "pwned").exists()
    assert not out["connected"], "the sandbox reached a port of this machine"
    assert len(out["pids"]) <= 3, f"the sandbox sees other processes: {out['pids']}"


def _probe_cell(port: int, extra: str = "") -> str:
    argv = ["probe", str(ROOT / "exercises"), str(ROOT / "pwned"), str(port)]
    return (f"import sys\nsys.argv = {argv!r}\n" + PROBE.replace("print(json.dumps(out))", "")
            + "status = dict((l.split(':', 1)[0], l.split(':', 1)[1].strip()) for l in open('/proc/self/status') if ':' in l)\n"
            + "out.update(nnp=status['NoNewPrivs'], bounding=int(status['CapBnd'], 16), "
              "inheritable=int(status['CapInh'], 16))\n"
            + extra + "print('PROBE', json.dumps(out), flush=True)\n")


def _probe_out(record: dict) -> dict:
    lines = [line for line in record["log"].splitlines() if line.startswith("PROBE ")]
    assert lines, record["log"]
    return json.loads(lines[-1][6:])


def test_sandboxes_forked_from_the_zygote_are_strangers_and_never_meet():
    """As root, sandboxes are forked from a zygote that has the libraries imported: each must
    be what a cold one is (above), and one submission's files and daemons must not reach the
    next one the same worker grades."""
    if os.geteuid() != 0 or os.environ.get(sandbox.COLD_ENV) == "1":
        pytest.skip("sandboxes are forked from the zygote only when the grader runs as root")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    marker = f"daemon-{uuid.uuid4().hex}"
    keys = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nL = ctypes.c_long\n"
    leave = ("open('/tmp/left-by-the-first', 'w').write('x')\nimport subprocess\n"
             f"subprocess.Popen(['sh', '-c', '(setsid sleep 300 {marker} &)'])\nimport time; time.sleep(0.5)\n"
             + keys + f"out['key'] = libc.syscall(L(248), b'user', b'{marker}', b'secret', L(6), L(-4))\n")
    look = ("out['found'] = os.path.exists('/tmp/left-by-the-first')\n" + keys
            + f"out['key'] = libc.syscall(L(250), L(10), L(-4), b'user', b'{marker}', L(0))\n")
    try:
        first = grade(_probe_cell(port, leave), CORRECT)
        second = grade(_probe_cell(port, look), CORRECT)
    finally:
        listener.close()
    assert isinstance(sandbox._zygote, sandbox.Zygote), "the root path did not use the zygote"
    for record in (first, second):
        out = _probe_out(record)
        assert score(record) == 2, record
        assert out["uid"] == sandbox.sandbox_uid() and out["euid"] == out["uid"], out
        assert out["caps"] == 0 and out["nnp"] == "1" and out["bounding"] == 0 and out["inheritable"] == 0, out
        assert not out["exercises"], "the assignment sources are visible in the sandbox"
        assert out["wrote:/tmp/ok"] and not out["wrote:/usr/pwned"] and not out[f"wrote:{ROOT / 'pwned'}"], out
        assert not out["connected"], "the sandbox reached a port of this machine"
        assert out["pids"][:1] == [1] and len(out["pids"]) <= 3, f"the sandbox sees other processes: {out['pids']}"
    assert not _probe_out(second)["found"], "the second submission saw the first one's /tmp"
    if os.uname().machine == "x86_64":  # add_key and keyctl by their x86-64 numbers
        assert _probe_out(first)["key"] > 0, "the first submission could not store a key"
        assert _probe_out(second)["key"] == -1, "the second submission found the first one's key"
    assert not _processes_with(marker), "the first submission's daemon outlived its sandbox"
    assert not (ROOT / "pwned").exists()
    from grading import zygote

    status = (Path("/proc") / str(_zygote_pid()) / "status").read_text()
    caps = {line.split(":")[0]: int(line.split()[1], 16) for line in status.splitlines() if line.startswith("Cap")}
    kept = sum(1 << c for c in zygote.KEPT_CAPS)
    assert caps == {"CapInh": 0, "CapPrm": kept, "CapEff": kept, "CapBnd": kept, "CapAmb": 0}, caps


def _zygote_pid() -> int:
    """The zygote's Python (not the bwrap processes around it, whose command lines name it too)."""
    for p in Path("/proc").iterdir():
        try:
            argv = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[:3] == [sandbox.python().encode(), b"-m", b"grading.zygote"]:
            return int(p.name)
    raise AssertionError("no zygote process found")


# --- hostile submissions ----------------------------------------------------------------
def test_the_correct_submission_scores_full_marks_and_the_blank_zero():
    assert score(grade(CORRECT)) == 2
    blank = grade("import numpy as np\n")
    assert score(blank) == 0 and blank["crash"] is None


FORGERIES = {
    "forged comparisons": "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.array_equal = numpy.allclose\n"
                          "def square(x):\n    return 0\n",
    "forged otter": "import otter.test_files.exception_test as et\net.ExceptionTestFile.run = lambda *a: None\n"
                    "def square(x):\n    return 0\n",
    "forged builtins": "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.AssertionError = Exception\n"
                       "def square(x):\n    return None\n",
    "an object that equals everything": "class Any:\n    def __eq__(self, o): return True\n"
                                        "    def __array__(self, *a, **k): raise SystemExit\n"
                                        "def square(x):\n    return Any()\n",
    "a reference shortcut": "from numpy import square as sq\nimport numpy as np\n"
                            "def square(x):\n    return sq(np.asarray(x))\n",
    "a reference through a module": "import numpy as np\ndef square(x):\n    return np.power(x, 2)\n",
}


@pytest.mark.parametrize("attack", FORGERIES)
def test_forgeries_score_nothing(attack):
    record = grade(FORGERIES[attack])
    assert score(record) == 0, (attack, record["questions"])
    if "reference" in attack:
        assert record["questions"]["q1"].get("tripped"), record["questions"]


def test_the_hidden_test_is_nowhere_in_the_sandbox():
    # the control: a string the submission itself wrote to /tmp, which the same hunt must find
    hunt = (f"import os\nSECRET = {SECRET[:7]!r} + {SECRET[7:]!r}\nhits, controls = [], []\n"
            "CONTROL = SECRET[::-1]\nopen('/tmp/control', 'w').write(CONTROL)\n"
            "for top in ('/tmp', '/proc', '/work', '/root', '/etc', '/home', '/var', '/dev/shm'):\n"
            "    for d, dirs, files in os.walk(top):\n"
            "        if d.startswith('/proc/') and not d.split('/')[2].isdigit(): dirs[:] = []; continue\n"
            "        for f in files:\n"
            "            try:\n"
            "                with open(os.path.join(d, f), 'rb') as h: data = h.read(1 << 20)\n"
            "            except Exception: continue\n"
            "            if SECRET.encode() in data: hits.append(os.path.join(d, f))\n"
            "            if CONTROL.encode() in data: controls.append(os.path.join(d, f))\n"
            "print('HITS', hits, 'CONTROLS', controls)\n"
            "def square(x):\n    return hits\n")
    record = grade(hunt, timeout=120, cell_timeout=100)
    assert "HITS [] CONTROLS ['/tmp/control']" in record["log"], record["log"][-2000:]
    assert score(record) == 0


def _escape_attempt(marker: str, outside: list[Path], answer: str) -> str:
    """A cell that writes to ``outside``, leaves two detached daemons whose command lines hold
    ``marker``, forks until the process limit stops it, then defines ``square`` returning
    ``answer``."""
    return ("import os, subprocess\n"
            f"for p in {[str(p) for p in outside]!r}:\n"
            "    try: open(p, 'w').write('x')\n    except OSError: pass\n"
            f"subprocess.Popen(['sh', '-c', '(setsid sleep 300 {marker} &) ; (nohup sleep 301 {marker} &)'])\n"
            "kids = 0\n"
            "try:\n"
            "    for _ in range(1000):\n"
            "        if os.fork() == 0:\n"
            "            import time; time.sleep(300); os._exit(0)\n"
            "        kids += 1\n"
            "except OSError as e: print('fork stopped after', kids, e)\n"
            f"def square(x):\n    return {answer}\n")


def test_writes_network_processes_and_daemons_leave_nothing_behind(tmp_path):
    marker = f"daemon-{uuid.uuid4().hex}"
    outside = [ROOT / f"written-{marker}", Path.home() / f"written-{marker}", tmp_path / "written"]
    attack = _escape_attempt(marker, outside, answer="x * x")
    record = grade(attack)
    assert "fork stopped after" in record["log"], record["log"][-1000:]
    assert all(not p.exists() for p in outside)
    assert not _processes_with(marker), "a process of the submission outlived the sandbox"
    assert score(record) <= 2  # the answer is right; the limits only cost the submission itself


# A teacher who is not root gets the other path of grading.sandbox.command: bwrap makes a user
# namespace of the teacher's own account (no setpriv, no uid of its own, no sweep by uid), so the
# limits and the clean-up rest on the namespaces alone. Run as root, this test grades as a
# stranger's uid to walk that path.
AS_TEACHER = r"""
import json, os, subprocess, sys
args = json.load(sys.stdin)
sys.path.insert(0, args["root"])
from grading import sandbox
from grading.trusted import grade_cells
out = {"euid": os.geteuid(), "missing": sandbox.check(), "scores": {}, "logs": {}}
for name, cell in args["cells"].items():
    record = grade_cells([(1, cell)], args["tests"], args["references"], timeout=60, cell_timeout=20, call_timeout=10)
    out["scores"][name] = sum(q["score"] for q in record["questions"].values())
    out["logs"][name] = record["log"][-1500:]
probe = subprocess.run(sandbox.command([sandbox.python(), "-c", args["probe"], *args["probe_args"]]),
                       capture_output=True, text=True, timeout=60)
out["probe"] = json.loads(probe.stdout) if probe.returncode == 0 else probe.stderr[-1500:]
print(json.dumps(out))
"""


def _teachers_view() -> list[str]:
    """A bwrap prefix showing this machine as a teacher's account would see it: where Python or
    the course lies below a folder only root may enter (pyenv in /root), that folder becomes an
    empty one with just those paths bound back, in a mount namespace of the test's own."""
    cmd = [shutil.which("bwrap"), "--dev-bind", "/", "/", "--die-with-parent",
           "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    needed = [*sandbox._python_paths(), ROOT]
    closed = sorted({a for p in needed for a in reversed(p.parents) if a != Path("/") and not a.stat().st_mode & 0o001}
                    , key=lambda a: len(a.parts))
    for folder in closed:
        if not any(c in folder.parents for c in closed):
            cmd += ["--perms", "0755", "--tmpfs", str(folder)]
            for p in needed:
                if folder in p.parents:
                    cmd += [*(arg for a in reversed(p.parents) if folder in a.parents
                              for arg in ("--perms", "0755", "--dir", str(a))), "--ro-bind", str(p), str(p)]
    return cmd


def test_a_teacher_who_is_not_root_gets_the_same_sandbox():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("walks the non-root path by dropping root's privileges; run as root to test it")
    _sandbox_or_skip()
    teacher = 1_400_000_000 + os.getpid() % 1_000_000  # nobody's uid: what it leaves is found by uid
    home = Path(tempfile.mkdtemp(prefix="teacher-"))  # pytest's tmp_path is root's alone
    os.chown(home, teacher, teacher)
    marker = f"daemon-{uuid.uuid4().hex}"
    outside = [ROOT / f"written-{marker}", home / f"written-{marker}"]
    attack = _escape_attempt(marker, outside, answer="0")
    cells = {"correct": CORRECT, "blank": "import numpy as np\n", "attack": attack,
             **{name: FORGERIES[name] for name in ("forged comparisons", "forged otter", "a reference shortcut")}}
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    args = {"root": str(ROOT), "tests": TESTS, "references": REFERENCES, "cells": cells, "probe": PROBE,
            "probe_args": [str(ROOT / "exercises"), str(ROOT / "pwned"), str(listener.getsockname()[1])]}
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run([*_teachers_view(), "setpriv", f"--reuid={teacher}", f"--regid={teacher}",
                               "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", sandbox.python(), "-c",
                               AS_TEACHER],
                              input=json.dumps(args), capture_output=True, text=True, env=env,
                              timeout=600)
    finally:
        listener.close()
        left = sandbox.kill_user(teacher)
        shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["euid"] == teacher and out["missing"] is None, out
    assert out["scores"]["correct"] == 2 and out["scores"]["blank"] == 0, out["scores"]
    assert all(out["scores"][name] == 0 for name in cells if name not in ("correct", "blank")), out["scores"]
    assert "fork stopped after" in out["logs"]["attack"], out["logs"]["attack"]
    assert all(not p.exists() for p in outside)
    assert not _processes_with(marker) and not left, "a process of the submission outlived the sandbox"
    probe = out["probe"]
    assert isinstance(probe, dict), probe
    assert probe["uid"] == sandbox.NOBODY and probe["caps"] == 0 and not probe["exercises"], probe
    assert probe["wrote:/tmp/ok"] and not probe["wrote:/usr/pwned"] and not probe["connected"], probe
    assert len(probe["pids"]) <= 3, probe


def test_loops_output_exits_and_garbage_on_the_channel_are_contained():
    cases = {
        "a loop in the graded function": ("def square(x):\n    while True:\n        try:\n            pass\n"
                                          "        except BaseException:\n            pass\n", 60),
        "a loop in a cell": ("while True:\n    pass\n", 60),
        "endless output": ("import sys\nfor _ in range(300):\n    sys.stdout.write('y' * 1_000_000)\n", 60),
        "os._exit and sys.exit": ("import os, sys\ntry:\n    os._exit(0)\nexcept Exception: pass\nsys.exit(3)\n", 60),
        "garbage on the channel": ("import os\nfor fd in map(int, os.listdir('/proc/self/fd')):\n"
                                   "    try: os.write(fd, b'\\xff\\xff\\xff\\xffnot a frame')\n    except OSError: pass\n"
                                   "def square(x):\n    return x * x\n", 60),
        "memory": ("block = bytearray(64 * 2**30)\n", 60),
    }
    for name, (cell, timeout) in cases.items():
        record = grade(cell, timeout=timeout, cell_timeout=5, call_timeout=5)
        assert score(record) == 0, (name, record["questions"])
        assert len(record["log"]) <= 4000, name
        if name == "a loop in a cell":
            assert record["timed_out_cells"] == [1], record
        if name == "memory":
            assert any("MemoryError" in e for e in record["errors"]), record["errors"]


# --- references reached by other routes -------------------------------------------------
SIGMOID_TESTS = {"q1": '''
from otter.test_files import test_case

OK_FORMAT = False
name = "q1"
points = 1

@test_case(points=1, hidden=False)
def test_sigmoid(sigmoid):
    import numpy as np
    x = np.linspace(-5.0, 5.0, 11)
    y = np.asarray(sigmoid(x))
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), rtol=1e-6, atol=0)
'''}
SIGMOID_REFERENCES = {"q1": ["acts:sigmoid", "scipy.special.expit", "torch.sigmoid", "torch.Tensor.sigmoid",
                             "aten:sigmoid"]}
SIGMOID_OWN = "import numpy as np\n\ndef own(x):\n    x = np.asarray(x, dtype=float)\n    return 1 / (1 + np.exp(-x))\n"
SHORTCUTS = {
    "a stored acts method": "import acts\nexact = acts.get('sigmoid').f\ndef sigmoid(x):\n    return exact(x)\n",
    "acts' implementation by its private name": "import acts\nraw = acts.get('sigmoid').spec.f\nimport numpy as np\n"
                                                "def sigmoid(x):\n    return raw(np.asarray(x, dtype=float))\n",
    "acts' torch table": "import torch\nfrom acts import nn\nT = nn.RUNNERS['sigmoid']\n"
                         "def sigmoid(x):\n    return T(torch.as_tensor(x)).numpy()\n",
    "a copy of acts' torch runner": "import types, torch\nfrom acts import nn\nr = nn.RUNNERS['sigmoid']\n"
                                    "mine = types.FunctionType(r.__code__, r.__globals__, 'mine', None, r.__closure__)\n"
                                    "def sigmoid(x):\n    return mine(torch.as_tensor(x)).numpy()\n",
    "acts' spec's torch form": "import torch, acts\nt = acts.get('sigmoid').spec.torch_f\n"
                               "def sigmoid(x):\n    return t(torch.as_tensor(x, dtype=torch.float64)).numpy()\n",
    "a partial": "import functools, scipy.special\np = functools.partial(scipy.special.expit)\n"
                 "def sigmoid(x):\n    return p(x)\n",
    "np.vectorize": "import numpy as np, scipy.special\nv = np.vectorize(scipy.special.expit)\n"
                    "def sigmoid(x):\n    return v(x)\n",
    "a tuple": "import scipy.special\nH = (scipy.special.expit, 1)\ndef sigmoid(x):\n    return H[0](x)\n",
    "a frozenset": "import scipy.special\nS = frozenset([scipy.special.expit])\ndef sigmoid(x):\n"
                   "    return next(iter(S))(x)\n",
    "a set in a tuple in a closure": "import scipy.special\ndef make():\n    h = ({scipy.special.expit}, 0)\n"
                                     "    def sigmoid(x):\n        return next(iter(h[0]))(x)\n"
                                     "    return sigmoid\nsigmoid = make()\n",
    "a static method": "import scipy.special\nclass K:\n    f = staticmethod(scipy.special.expit)\n"
                       "def sigmoid(x):\n    return K.f(x)\n",
    "an object's attribute": "import scipy.special\nclass K:\n    pass\nk = K()\nk.f = scipy.special.expit\n"
                             "def sigmoid(x):\n    return k.f(x)\n",
    "a tensor method": "import torch\ndef sigmoid(x):\n    return torch.as_tensor(x).sigmoid().numpy()\n",
    "a bound tensor method": "import torch\ndef sigmoid(x):\n    t = torch.as_tensor(x)\n    m = t.sigmoid\n"
                             "    return m().numpy()\n",
    "acts' computed properties": "import acts\nimport numpy as np\ndef sigmoid(x):\n"
                                 "    assert acts.get('sigmoid').props['range']\n    return 1 / (1 + np.exp(-np.asarray(x)))\n",
    "acts' properties kept before": "import acts\nimport numpy as np\nP = acts.get('sigmoid').props\n"
                                    "def sigmoid(x):\n    assert P['range']\n    return 1 / (1 + np.exp(-np.asarray(x)))\n",
    "scipy's private module": "def sigmoid(x):\n    from scipy.special import _ufuncs\n    return _ufuncs.expit(x)\n",
    "a namespace object": "import types, scipy.special\nN = types.SimpleNamespace(e=scipy.special.expit)\n"
                          "def sigmoid(x):\n    return N.e(x)\n",
    "torch.ops.aten": "import torch\ndef sigmoid(x):\n    return torch.ops.aten.sigmoid(torch.as_tensor(x)).numpy()\n",
    "a copy of acts' code": "import types, acts, numpy as np\nraw = acts.get('sigmoid').spec.f\n"
                            "mine = types.FunctionType(raw.__code__.replace(co_name='mine'), raw.__globals__)\n"
                            "def sigmoid(x):\n    return mine(np.asarray(x, dtype=float))\n",
    "switching the monitor off": "import sys, acts\nexact = acts.get('sigmoid').f\n"
                                 "def sigmoid(x):\n    sys.setprofile(None)\n    return exact(x)\n",
}


def grade_sigmoid(cell: str) -> dict:
    _sandbox_or_skip()
    return grade_cells([(1, cell)], SIGMOID_TESTS, SIGMOID_REFERENCES, timeout=60, cell_timeout=20,
                       call_timeout=10)


@pytest.mark.parametrize("route", SHORTCUTS)
def test_a_reference_reached_by_another_route_scores_nothing(route):
    q1 = grade_sigmoid(SHORTCUTS[route])["questions"]["q1"]
    assert q1["score"] == 0 and q1.get("tripped"), (route, q1)
    assert set(q1["tripped"]) <= set(SIGMOID_REFERENCES["q1"]) | {"sys.setprofile (the grader's call monitor)"}


def test_own_code_and_other_activations_are_not_mistaken_for_the_reference():
    for cell in (SIGMOID_OWN + "sigmoid = own\n",
                 "import acts, numpy as np\nt = acts.get('tanh').f\n"  # σ(x) = (1 + tanh(x/2)) / 2: allowed
                 "def sigmoid(x):\n    return (1 + t(np.asarray(x, dtype=float) / 2)) / 2\n",
                 # another activation's torch function, whose generated code has the same shape
                 "import torch\nfrom acts import nn\n"
                 "def sigmoid(x):\n    return ((1 + nn.tanh(torch.as_tensor(x, dtype=torch.float64) / 2)) / 2).numpy()\n"):
        q1 = grade_sigmoid(cell)["questions"]["q1"]
        assert q1["score"] == 1 and not q1.get("tripped"), q1


# --- one question's hidden inputs cannot reach another's public feedback ----------------
LEAK_TESTS = {"q1": '''
from otter.test_files import test_case

OK_FORMAT = False
name = "q1"
points = 1

@test_case(points=1, hidden=True)
def test_remember(remember):
    import numpy as np
    remember(np.array([271828.0]))
''', "q2": '''
from otter.test_files import test_case

OK_FORMAT = False
name = "q2"
points = 1

@test_case(points=1, hidden=False)
def test_tell(tell):
    tell()
'''}


def test_hidden_inputs_never_reach_public_feedback():
    _sandbox_or_skip()
    cell = ("import os\nopen('/tmp/seen', 'w').write('control;')\n"
            "def remember(x):\n    open('/tmp/seen', 'a').write(repr(x.tolist()))\n"
            "def tell():\n    raise ValueError(open('/tmp/seen').read())\n")
    record = grade_cells([(1, cell)], LEAK_TESTS, {}, timeout=60, cell_timeout=20, call_timeout=10)
    message = record["questions"]["q2"]["public"][0]["message"]
    assert "control;" in message, message  # the channel works: what the cell wrote shows
    assert "271828" not in message, message


def test_the_graders_tensors_cross_without_their_gradients():
    from grading.remote import encode_argument

    t = torch.ones(3, requires_grad=True)
    (t * 2).sum().backward()
    back = wire.decode(encode_argument([t]))[0]
    assert back.requires_grad and back.grad is None
    assert wire.decode(wire.encode(t)).grad is not None  # the sandbox's replies keep them


def test_every_listed_reference_exists_and_belongs_to_a_question():
    import yaml

    from grading import EXERCISES, runner

    listed = yaml.safe_load((EXERCISES / "references.yml").read_text())
    sources = {p.stem for p in EXERCISES.glob("[0-9][0-9]_*.ipynb")}
    for assignment, questions in listed.items():
        assert assignment in sources, assignment
        text = (EXERCISES / f"{assignment}.ipynb").read_text()
        for question, specs in questions.items():
            assert f"name: {question}\\n" in text, (assignment, question)
            for spec in specs:
                found = runner._targets(spec)  # raises for a name that is not there
                assert found or spec.startswith("aten:"), spec
