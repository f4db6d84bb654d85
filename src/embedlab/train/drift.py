"""What training moved in an embedding table that started from vectors.

Per-row drift (L2 change of each row) and, for the probe words of
``params.yaml: embeddings.probes`` (the one probe list), their nearest
neighbours and the antonym cosines before vs after training: co-occurrence puts
antonyms close ("good"/"bad" share contexts); a sentiment loss may push them apart.
"""

from __future__ import annotations

import numpy as np

from embedlab import strategies
from embedlab.config import ProbeParams


def table_prefix(name: str) -> str:
    return "drift" if name == "embedding" else f"drift_{name.removeprefix('embedding_')}"


def drift_summary(initial: dict[str, np.ndarray], final: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """Per-row L2 change of each table (row 0, padding, excluded): (metrics, rows)."""
    metrics, rows = {}, {}
    for name, before in initial.items():
        change = np.linalg.norm(final[name][1:].astype(np.float64) - before[1:], axis=1)
        rows[name] = change
        prefix = table_prefix(name)
        stats = {"mean": np.mean, "p50": lambda c: np.percentile(c, 50),
                 "p90": lambda c: np.percentile(c, 90), "max": np.max,
                 "share_moved": lambda c: (c > 1e-7).mean()}
        for key, fn in stats.items():
            metrics[f"{prefix}_{key}"] = float(fn(change)) if len(change) else 0.0
    return metrics, rows


def _unit_rows(table: np.ndarray) -> np.ndarray:
    t = table.astype(np.float64)
    norms = np.linalg.norm(t, axis=1, keepdims=True)
    return t / np.where(norms > 0, norms, 1.0)


def _neighbours(unit: np.ndarray, i: int, tokens: list[str], k: int) -> list[tuple[str, float]]:
    sims = unit @ unit[i]
    sims[:2] = -np.inf      # padding and OOV rows are not words
    sims[i] = -np.inf
    top = np.argsort(-sims)[:k]
    return [(tokens[j], round(float(sims[j]), 4)) for j in top]


def _neighbour_shift(ub, ua, index, tokens, probes: ProbeParams) -> tuple[dict, list[float]]:
    k, entry, overlaps = probes.topn, {}, []
    for w in probes.words:
        i = index.get(w)
        if i is None or i < 2:
            continue
        nb, na = _neighbours(ub, i, tokens, k), _neighbours(ua, i, tokens, k)
        overlap = len({t for t, _ in nb} & {t for t, _ in na}) / max(k, 1)
        overlaps.append(overlap)
        entry[w] = {"before": nb, "after": na, "overlap": overlap,
                    "self_cosine": round(float(ub[i] @ ua[i]), 4)}
    return entry, overlaps


def _antonym_shift(ub, ua, index, probes: ProbeParams) -> tuple[dict, list[float]]:
    entry, changes = {}, []
    for a, b in probes.antonyms:
        if a in index and b in index:
            cb, ca = float(ub[index[a]] @ ub[index[b]]), float(ua[index[a]] @ ua[index[b]])
            changes.append(ca - cb)
            entry[f"{a}/{b}"] = {"before": round(cb, 4), "after": round(ca, 4),
                                 "change": round(ca - cb, 4)}
    return entry, changes


def probe_report(initial: dict[str, np.ndarray], final: dict[str, np.ndarray], tokens: list[str],
                 probes: ProbeParams) -> tuple[dict, dict]:
    """Neighbours and antonym cosines before vs after, per table: (metrics, JSON-able report)."""
    index = {w: i for i, w in enumerate(tokens)}
    metrics: dict[str, float] = {}
    report: dict = {}
    for name, before in initial.items():
        ub, ua = _unit_rows(before), _unit_rows(final[name])
        neighbours, overlaps = _neighbour_shift(ub, ua, index, tokens, probes)
        antonyms, changes = _antonym_shift(ub, ua, index, probes)
        prefix = table_prefix(name)
        if overlaps:
            metrics[f"{prefix}_probe_overlap"] = float(np.mean(overlaps))
        if changes:
            metrics[f"{prefix}_antonym_cos_change"] = float(np.mean(changes))
        report[name] = {"neighbours": neighbours, "antonyms": antonyms, "k": probes.topn}
    return metrics, report


def moved_tables(strategy_name: str, fitted) -> dict[str, np.ndarray]:
    """The tables that started from vectors and were trainable at the end
    (w2v_unfreeze's table counts once unfrozen): their initial weights."""
    vectors = {t.name for t in strategies.get(strategy_name).tables if t.init == "vectors"}
    return {n: t for n, t in fitted.initial_tables.items()
            if n in vectors and fitted.model.get_layer(n).trainable}


def analyse(strategy_name: str, fitted, tokens: list[str], probes: ProbeParams) -> tuple[dict, dict, dict | None]:
    """(metrics, per-row drift by table, probe report or None) of one fitted cell."""
    moved = moved_tables(strategy_name, fitted)
    if not moved:
        return {}, {}, None
    drift, rows = drift_summary(moved, fitted.final_tables)
    probe_metrics, report = probe_report(moved, fitted.final_tables, tokens, probes)
    return {**drift, **probe_metrics}, rows, report


def histogram(rows: dict[str, np.ndarray], bins: int = 20) -> dict:
    return {n: dict(zip(("counts", "edges"), (c.tolist(), e.tolist())))
            for n, (c, e) in ((n, np.histogram(r, bins=bins)) for n, r in rows.items())}
