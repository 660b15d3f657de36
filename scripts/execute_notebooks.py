"""Re-execute notebooks in place (``make execute``): the only way to update their outputs.

    python scripts/execute_notebooks.py chapters exercises      # every notebook
    python scripts/execute_notebooks.py chapters/sigmoid.ipynb  # one

Each notebook runs top to bottom in a fresh kernel of this environment, in its own folder,
and is saved with its outputs and the widget state. Execution timestamps are not recorded
(so re-running an unchanged notebook gives an unchanged file, apart from the images).
A cell that raises, or anything written to stderr (warnings), stops with an error: the
committed outputs must be clean, since nbval compares against them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: grading/
from grading.kernel import poll_shell_replies_in_slices  # noqa: E402


def notebooks(args: list[str]) -> list[Path]:
    found: list[Path] = []
    for arg in args or ["chapters", "exercises"]:
        p = Path(arg)
        if p.is_dir():
            # exercises/student/ holds generated student copies (answers are `...`,
            # so they fail by design); they are made from the sources, not executed
            found += sorted(q for q in p.rglob("*.ipynb")
                            if not {".ipynb_checkpoints", "student"} & set(q.parts))
        elif p.suffix == ".ipynb" and p.exists():
            found.append(p)
        elif not p.exists() and arg in ("chapters", "exercises"):
            continue
        else:
            raise SystemExit(f"execute_notebooks: not a notebook or folder: {arg}")
    return found


def problems(nb) -> list[str]:
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out.append(f"cell {i}: {o.get('ename')}: {o.get('evalue')}")
            elif o.get("output_type") == "stream" and o.get("name") == "stderr":
                out.append(f"cell {i}: stderr: {o.get('text', '').strip()[:300]}")
    return out


class _Client(NotebookClient):
    """nbclient, with the shell-reply wait done in short polls
    (:func:`grading.kernel.poll_shell_replies_in_slices`)."""

    async def async_start_new_kernel_client(self):
        return poll_shell_replies_in_slices(await super().async_start_new_kernel_client())


def kernel_configuration() -> dict:
    """The CPU kernel configuration the outputs are made with (the kernel inherits this
    process's environment): torch's ATen capability, the switches that change it, MKL's."""
    import os

    import torch

    return {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            **{k: os.environ.get(k, "") for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA")}}


def run(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    client = _Client(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=True,
        allow_errors=False,
    )
    t = time.time()
    client.execute()
    for cell in nb.cells:  # drop volatile metadata
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.metadata.pop("collapsed", None)
    nb.metadata["outputs_made_with"] = kernel_configuration()  # make test runs under another one
    if not _has_widget_state(nb):
        nb.metadata.pop("widgets", None)
    bad = problems(nb)
    if bad:
        raise SystemExit(f"{path}: not saved, fix these first:\n  " + "\n  ".join(bad))
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print(f"executed {path} in {time.time() - t:.1f} s")


def _has_widget_state(nb) -> bool:
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return bool(state.get("state"))


def main(argv: list[str]) -> None:
    paths = notebooks(argv)
    if not paths:
        print("execute_notebooks: no notebooks found")
    for p in paths:
        run(p)


if __name__ == "__main__":
    main(sys.argv[1:])
