"""docs/benchmarks.md's training-speed section is what its results files say."""

from __future__ import annotations

from benchmarks.report import DOC, _load
from benchmarks.report_training import BEGIN, END, render


def test_training_speed_section_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC}: no training-speed section; run `python -m benchmarks report`"
    written = text[text.index(BEGIN):text.index(END) + len(END)].splitlines()
    assert written == render(_load), (f"{DOC}: the training-speed section is stale; "
                                      "run `python -m benchmarks report`")


def test_section_reads_the_results_it_names(tmp_path):
    # A missing results file says how to produce it rather than inventing figures.
    lines = render(lambda name: None)
    for name in ("train_speed", "throughput", "cell_profile"):
        assert f"Not measured yet: `python -m benchmarks.{name}`." in lines
