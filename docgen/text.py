"""Helpers the block modules share: results files, params.yaml and report sections, wrapping."""

from __future__ import annotations

import re
import textwrap
from typing import Any

RESULTS = "benchmarks/results/*.json"


def result(name: str, raw: Any) -> dict:
    """A results file in the common shape {benchmark, date, command, machine, figures}.

    Two scripts keep their own shapes: prepare_scale (a list, one entry per run,
    appended; the latest run per input size counts) and serving (figures at the
    top level, no date)."""
    if isinstance(raw, dict) and "figures" in raw:
        return raw
    if isinstance(raw, list):
        latest = {run["reviews_in"]: run for run in raw}
        runs = [latest[k] for k in sorted(latest)]
        last = runs[-1] if runs else {}
        return {"benchmark": name, "date": last.get("date"), "command": f"python -m benchmarks.{name}",
                "machine": {"cores": last.get("cpus"), "python": last.get("python")}, "figures": {"runs": runs}}
    m = raw.get("machine", {})
    return {"benchmark": name, "date": raw.get("date"), "command": f"python -m benchmarks.{name}",
            "machine": {"cores": m.get("cpus"), "python": m.get("python")}, "figures": raw}


def params_section(params_text: str, *keys: str) -> str:
    """Top-level sections of params.yaml verbatim, comments included, as a YAML fence."""
    lines, keep = [], False
    for line in params_text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keep = line.split(":", 1)[0] in keys
        if keep:
            lines.append(line)
    if not lines:
        raise KeyError(f"params.yaml has no section {', '.join(keys)}")
    return "```yaml\n" + "\n".join(lines).rstrip() + "\n```"


def report_section(report_md: str, heading: str) -> str:
    """The body of `## heading` in reports/report.md (up to the next `## `)."""
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", report_md, re.S | re.M)
    if m is None:
        raise KeyError(f"reports/report.md has no section '## {heading}'")
    return m.group(1).strip()


def para(text: str, width: int = 84) -> str:
    """A paragraph wrapped like the hand-written ones, so the source stays readable."""
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"
