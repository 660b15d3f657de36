"""The guard cell: the first cell the grader runs in a submission's kernel.

``otter run`` executes the submission in a Jupyter kernel and, in the same kernel,
runs the tests, which it copies next to the notebook (``tests/qN.py``, hidden cases
included). Before any student code runs, this cell

* seals the tests: reads every ``tests/*.py`` into memory, replaces the files on disk
  with a stub, deletes the autograder's own copies (``../source/tests`` and the zip the
  grader extracted), and makes
  otter's ``Checker.check`` run the sealed copy of a question (by name) whatever path
  it is given. A submission that opens, lists or overwrites the test files therefore
  sees no test code and cannot change what it is graded with;
* turns ``os._exit``, ``os.abort``, ``sys.exit``, ``exit`` and ``quit`` into an
  exception in the calling cell (otter 7 dies with DeadKernelError on ``os._exit``;
  blocked, the rest of the notebook is still graded);
* caps what the kernel prints (``sys.stdout`` / ``sys.stderr``) and the size of any
  file it writes (RLIMIT_FSIZE), and optionally its address space (RLIMIT_AS).

All of this runs in the student's own process, so it stops mistakes and casual
attempts, not a determined attack on otter's objects in memory; see the teacher guide
("What is isolated").
"""

GUARD_SOURCE = r'''# Grader guard (inserted by the grader; not part of the submission)
def __grader_guard(max_output={max_output}, max_file={max_file}, max_memory={max_memory}):
    import builtins, glob, inspect, os, resource, shutil, sys

    import otter.execute.checker as checker_module
    from otter.test_files.exception_test import ExceptionTestFile

    sealed = {{}}
    for path in sorted(glob.glob(os.path.join("tests", "*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            sealed[name] = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write("# sealed by the grader\n")
    shutil.rmtree(os.path.join("..", "source", "tests"), ignore_errors=True)
    zip_copy = os.environ.pop("GRADER_AUTOGRADER_ZIP", "")
    if zip_copy and os.path.isfile(zip_copy):  # the grader's copy of the autograder, already extracted
        os.remove(zip_copy)

    Checker = checker_module.Checker

    def check(cls, nb_or_test_path, nbmeta_config=None, test_name=None, global_env=None):
        question = test_name or os.path.splitext(os.path.basename(str(nb_or_test_path)))[0]
        if question not in sealed:
            raise FileNotFoundError(f"Test {{question}} does not exist")
        test = ExceptionTestFile.from_string(sealed[question], path=os.path.join("tests", question + ".py"))
        if global_env is None:
            global_env = inspect.currentframe().f_back.f_globals
        test.run(global_env)
        if cls._track_results:
            cls._test_files.append(test)
        return test

    Checker.check = classmethod(check)

    class GraderBlocked(RuntimeError):
        pass

    def blocked(what):
        def refuse(*args, **kwargs):
            raise GraderBlocked(f"{{what}} is not allowed in a graded notebook (the grader blocked it)")
        return refuse

    os._exit = blocked("os._exit()")
    os.abort = blocked("os.abort()")
    sys.exit = blocked("sys.exit()")
    builtins.exit = blocked("exit()")
    builtins.quit = blocked("quit()")
    ip = get_ipython()  # noqa: F821  (we run in IPython)
    ip.user_ns["exit"] = builtins.exit
    ip.user_ns["quit"] = builtins.quit

    class Capped:
        def __init__(self, stream, limit):
            self._stream, self._left, self._noted = stream, limit, False

        def write(self, s):
            n = len(s)
            if self._left >= n:
                self._left -= n
                return self._stream.write(s)
            if self._left > 0:
                self._stream.write(s[: self._left])
                self._left = 0
            if not self._noted:
                self._noted = True
                self._stream.write("\n[output truncated by the grader]\n")
            return n

        def __getattr__(self, name):
            return getattr(self._stream, name)

    sys.stdout = Capped(sys.stdout, max_output)
    sys.stderr = Capped(sys.stderr, max_output)

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_file, max_file))
    if max_memory:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))


__grader_guard()
del __grader_guard
'''


def guard_source(*, max_output: int, max_file: int, max_memory: int | None) -> str:
    """The guard cell's code with the limits filled in (bytes; max_memory None = no cap)."""
    return GUARD_SOURCE.format(max_output=int(max_output), max_file=int(max_file),
                               max_memory=int(max_memory) if max_memory else 0)
