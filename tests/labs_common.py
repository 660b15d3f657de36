"""What the lab tests share: where the lab notebooks are, and how to read their VERDICT lines."""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAB_DIR = ROOT / "chapters" / "labs"
#: The format every lab prints (course.labs.Verdict.line).
LINE = re.compile(r"^VERDICT (?P<id>[a-z0-9-]+): (?P<status>reproduced|partly|inconclusive|not reproduced) — "
                  r"(?P<effect>.+) (?P<mean>\S+) 95% CI \[(?P<lo>\S+), (?P<hi>\S+)\], n=(?P<n>\d+) "
                  r"\(criterion: (?P<criterion>.+)\)$")
# Notebook (stem) → the anchor of its first cell.
NOTEBOOKS = {
    "selu": "lab-selu", "sigmoid-saturation": "lab-sigmoid", "he-init": "lab-he-init",
    "dying-relu": "lab-dying-relu", "mish-depth": "lab-mish", "gelu-dropout": "lab-gelu",
    "vanishing-gradients": "lab-gradients",
}


def stored_verdicts(stem: str) -> list[str]:
    """The VERDICT lines in the committed outputs of chapters/labs/<stem>.ipynb's last code cell."""
    nb = json.loads((LAB_DIR / f"{stem}.ipynb").read_text(encoding="utf-8"))
    last = [c for c in nb["cells"] if c["cell_type"] == "code"][-1]
    text = "".join("".join(o.get("text", "")) for o in last.get("outputs", []) if o.get("output_type") == "stream")
    return [ln for ln in text.splitlines() if ln.startswith("VERDICT")]
