"""Stage ``prepare``: reviews in; deduplicated, split, tokenized and encoded data out.

ingest -> validate -> tokenize -> dedupe -> split -> vocab -> encode -> write.
No TensorFlow here: this stage must stay fast to start.

Memory stays bounded whatever the input size: pass 1 streams the input in
chunks, tokenizes them and spools text + tokens to a temporary Parquet file,
keeping in memory only a few numbers per review (label, length, two 64-bit
hashes, group hash). Dedupe, sampling and the split work on those arrays; the
vocabulary (pass 2) and the encoded splits (pass 3) stream the spool again.
The largest in-memory object is the train word count (one entry per distinct
word).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from embedlab import config, dvcdeps, fileio, plots
from embedlab.config import DataParams, PrepareParams, VocabParams
from embedlab.errors import DataError
from embedlab.layout import SPLITS, Layout
from embedlab.prepare.data import Ingest, check_params
from embedlab.splits import split_schema
from embedlab_serving.text import OOV_ID, PAD_ID, TOKENIZER_VERSION, tokenize

SPOOL_BATCH = 10_000


def text_hash(values: Sequence[str]) -> np.ndarray:
    """Deterministic 64-bit hashes of strings (pandas' SipHash, fixed key)."""
    if len(values) == 0:
        return np.zeros(0, np.uint64)
    return pd.util.hash_array(np.asarray(values, dtype=object))


def duplicate_mask(keys: np.ndarray) -> np.ndarray:
    """True for every row whose key appeared on an earlier row."""
    first = np.zeros(len(keys), bool)
    if len(keys):
        _, idx = np.unique(keys, return_index=True)
        first[idx] = True
    return ~first


def _conflicting(keys: np.ndarray, labels: np.ndarray) -> int:
    if not len(keys):
        return 0
    g = pd.DataFrame({"k": keys, "l": labels}).groupby("k")["l"]
    return int((g.min() != g.max()).sum())


def _check_classes(labels: np.ndarray, fractions: tuple[float, float, float], where: str) -> None:
    values, counts = np.unique(labels, return_counts=True)
    names = {1: "positive", 0: "negative"}
    if len(values) < 2:
        only = names.get(int(values[0]), values[0]) if len(values) else "none"
        raise DataError(f"{where}: only one class ({only}) after cleaning; a sentiment "
                        "classifier needs positive and negative reviews. Check data.label "
                        "rules and data.label_column.")
    min_needed = int(np.ceil(1 / min(fractions) - 1e-9))
    if counts.min() < min_needed:
        small = names.get(int(values[counts.argmin()]), values[counts.argmin()])
        raise DataError(f"{where}: the smallest class ({small}) has {counts.min()} reviews; the "
                        f"split {fractions} needs at least {min_needed} per class. Add data or "
                        "change data.split.")


def assign_splits(labels: np.ndarray, fractions: tuple[float, float, float], seed: int,
                  where: str, groups: np.ndarray | None = None) -> np.ndarray:
    """Split code per row (0 train, 1 val, 2 test): stratified by label,
    deterministic by seed; with ``groups`` every group lands in one split."""
    labels = np.asarray(labels)
    _check_classes(labels, fractions, where)
    rng = np.random.default_rng(seed)
    out = np.empty(len(labels), np.int8)
    if groups is None:
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            idx = idx[rng.permutation(len(idx))]
            n = len(idx)
            n_test = max(1, int(round(n * fractions[2])))
            n_val = max(1, int(round(n * fractions[1])))
            out[idx] = 0
            out[idx[:n_test]] = 2
            out[idx[n_test:n_test + n_val]] = 1
        return out
    return _assign_groups(labels, np.asarray(groups), fractions, rng, where)


def _assign_groups(labels: np.ndarray, groups: np.ndarray, fractions, rng, where) -> np.ndarray:
    """Whole groups (products) to splits. Groups are stratified by their majority
    label, shuffled, and cut where the running review count crosses the split
    fractions, so each split gets about its share of reviews of each class."""
    uniq, inverse = np.unique(groups, return_inverse=True)
    size = np.bincount(inverse)
    pos = np.bincount(inverse, weights=labels.astype(float))
    majority = (2 * pos >= size).astype(np.int8)
    group_split = np.zeros(len(uniq), np.int8)
    cut1, cut2 = fractions[0], fractions[0] + fractions[1]
    for c in (0, 1):
        g = np.flatnonzero(majority == c)
        if not len(g):
            continue
        g = g[rng.permutation(len(g))]
        mid = (np.cumsum(size[g]) - size[g] / 2) / size[g].sum()
        s = np.where(mid < cut1, 0, np.where(mid < cut2, 1, 2)).astype(np.int8)
        # Few large groups can leave val or test empty: give each a group if there are 3+.
        if len(g) >= 3:
            for target in (2, 1):
                if not (s == target).any():
                    candidates = np.flatnonzero(s == 0)
                    if len(candidates) > 1:
                        s[candidates[-1]] = target
        group_split[g] = s
    out = group_split[inverse]
    for code, name in enumerate(SPLITS):
        present = set(np.unique(labels[out == code]).tolist())
        if present != {0, 1}:
            raise DataError(f"{where}: splitting by data.group_column gives {name} "
                            f"{'no reviews' if not present else 'only one class'} ({len(uniq)} "
                            "groups in all). Add data, make groups smaller, or set "
                            "data.group_column: null.")
    return out


def vocab_from_counts(counts: Mapping[str, int], params: VocabParams) -> list[str]:
    """Index 0 = padding, 1 = out-of-vocabulary, then words by falling frequency
    (ties alphabetical, so the order is deterministic)."""
    words = sorted((w for w, c in counts.items() if c >= params.min_count),
                   key=lambda w: (-counts[w], w))
    return ["<pad>", "<oov>", *words[: params.max_size - 2]]


def choose_max_len(lengths, setting: int | str, percentile: float) -> int:
    if setting != "auto":
        return int(setting)
    return max(1, int(np.ceil(np.percentile(np.asarray(lengths), percentile))))


def encode_batch(token_lists: Sequence[Sequence[str]], index: Mapping[str, int], max_len: int,
                 truncate: str = "post") -> tuple[np.ndarray, int]:
    """(ids int32 (n, max_len), OOV token count before truncation); the same ids
    as :func:`embedlab_serving.text.encode` row by row, built with numpy."""
    n = len(token_lists)
    lengths = np.fromiter(map(len, token_lists), np.int64, n)
    flat = np.fromiter((index.get(t, OOV_ID) for toks in token_lists for t in toks), np.int32,
                       int(lengths.sum()))
    out = np.zeros((n, max_len), np.int32)
    take = np.minimum(lengths, max_len)
    starts = np.cumsum(lengths) - lengths
    src_start = starts if truncate == "post" else starts + lengths - take
    rows = np.repeat(np.arange(n), take)
    cols = np.arange(int(take.sum())) - np.repeat(np.cumsum(take) - take, take)
    out[rows, cols] = flat[np.repeat(src_start, take) + cols]
    return out, int((flat == OOV_ID).sum())


@dataclass
class _Spooled:
    """Pass 1 output: per review a few numbers; text and tokens are on disk."""

    labels: np.ndarray   # int8
    lengths: np.ndarray  # int32, tokens per review
    keys: np.ndarray     # uint64 hash of the normalised text (joined tokens)
    raw: np.ndarray      # uint64 hash of the raw text (exact duplicates)
    groups: np.ndarray | None  # uint64 hash of the group value


_SPOOL_SCHEMA = pa.schema([("text", pa.string()), ("tokens", pa.string()), ("label", pa.int8())])


def _spool(ingest: Ingest, path: Path, counts: dict[str, int]) -> _Spooled:
    labels, lengths, keys, raw, groups = [], [], [], [], []
    no_tokens = 0
    with pq.ParquetWriter(path, _SPOOL_SCHEMA) as writer:
        for chunk in ingest.chunks():
            texts = chunk["text"].tolist()
            joined = [" ".join(tokenize(t)) for t in texts]
            n_tok = np.fromiter((j.count(" ") + 1 if j else 0 for j in joined), np.int32,
                                len(joined))
            keep = n_tok > 0
            no_tokens += int((~keep).sum())
            if not keep.any():
                continue
            idx = np.flatnonzero(keep)
            texts = [texts[i] for i in idx]
            joined = [joined[i] for i in idx]
            lab = chunk["label"].to_numpy()[keep].astype(np.int8)
            key = text_hash(joined)
            labels.append(lab)
            lengths.append(n_tok[keep])
            keys.append(key)
            raw.append(text_hash(texts))
            if ingest.params.group_column:
                g = chunk["group"].to_numpy()[keep]
                missing = pd.isna(g)
                gh = text_hash(np.where(missing, "", g).astype(object).tolist())
                # A review without a group value is a group of its own.
                gh[missing] = key[missing] ^ np.uint64(0x9E3779B97F4A7C15)
                groups.append(gh)
            writer.write_table(pa.table({"text": pa.array(texts, pa.string()),
                                         "tokens": pa.array(joined, pa.string()),
                                         "label": pa.array(lab, pa.int8())},
                                        schema=_SPOOL_SCHEMA))
    counts["dropped_no_tokens"] = no_tokens
    cat = lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dt)  # noqa: E731
    return _Spooled(cat(labels, np.int8), cat(lengths, np.int32), cat(keys, np.uint64),
                    cat(raw, np.uint64), cat(groups, np.uint64) if groups else None)


def _spool_batches(path: Path, columns: list[str]) -> Iterable[tuple[int, pa.RecordBatch]]:
    offset = 0
    # pre_buffer=False: with pre-buffering pyarrow keeps the buffers of every row group
    # read so far, and memory grows with the file (~0.5 GB per million reviews).
    spool = pq.ParquetFile(path, pre_buffer=False)
    for batch in spool.iter_batches(batch_size=SPOOL_BATCH, columns=columns):
        yield offset, batch
        offset += batch.num_rows


def _sample(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of a stratified random sample of ``n`` rows (sorted)."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    share = counts / counts.sum() * n
    take = np.floor(share).astype(int)
    take[np.argsort(-(share - take))[: n - take.sum()]] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
              for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


def _length_stats(lengths: np.ndarray) -> dict[str, int]:
    if not len(lengths):
        return {}
    p = np.percentile(lengths, [50, 90, 95, 99])
    return {"p50": int(p[0]), "p90": int(p[1]), "p95": int(p[2]), "p99": int(p[3]),
            "max": int(lengths.max()), "mean": round(float(lengths.mean()), 2)}


def _dedupe(sp: _Spooled, counts: dict[str, int]) -> np.ndarray:
    """Indices of the rows kept: one copy of each normalised text, the first seen.
    Done before splitting, so the same review can never sit in train and test."""
    dup, exact = duplicate_mask(sp.keys), duplicate_mask(sp.raw)
    counts["dropped_duplicates"] = int(dup.sum())
    counts["duplicates_exact"] = int((exact & dup).sum())
    counts["duplicates_normalised_only"] = int((dup & ~exact).sum())
    counts["duplicate_groups_with_conflicting_labels"] = _conflicting(sp.keys, sp.labels)
    counts["dropped_neutral_or_unmatched_label"] = (counts["dropped_neutral_label"]
                                                    + counts["dropped_unmatched_label"])
    return np.flatnonzero(~dup)


def _split_codes(sp: _Spooled, kept: np.ndarray, data: DataParams, where: str,
                 counts: dict[str, int]) -> np.ndarray:
    """Split code per spooled row: 0 train, 1 val, 2 test, -1 not used."""
    if not len(kept):
        raise DataError(f"{where}: no usable reviews left after cleaning ({counts}). Check "
                        "data.text_columns and data.label.")
    s = data.split
    fractions = (s.train, s.val, s.test)
    if data.sample is not None and data.sample < len(kept):
        _check_classes(sp.labels[kept], fractions, where)
        kept = kept[_sample(sp.labels[kept], data.sample, s.seed)]
        counts["sampled_to"] = data.sample
    codes = assign_splits(sp.labels[kept], fractions, s.seed, where,
                          sp.groups[kept] if sp.groups is not None else None)
    split_of = np.full(len(sp.labels), -1, np.int8)
    split_of[kept] = codes
    return split_of


def _train_vocab(spool: Path, split_of: np.ndarray, params: VocabParams) -> list[str]:
    """Pass 2: the vocabulary, from train tokens only."""
    word_counts: Counter[str] = Counter()
    for offset, batch in _spool_batches(spool, ["tokens"]):
        mine = np.flatnonzero(split_of[offset: offset + batch.num_rows] == 0)
        tokens = batch.column(0).to_pylist()
        for i in mine:
            word_counts.update(tokens[i].split())
    return vocab_from_counts(word_counts, params)


def _write_splits(spool: Path, split_of: np.ndarray, index: dict[str, int], max_len: int,
                  truncate: str, folder: Path) -> dict:
    """Pass 3: encode and write each split and the Word2Vec corpus; OOV stats per split."""
    stats = {name: {"oov": 0, "tokens": 0} for name in SPLITS}
    schema = split_schema(max_len)
    layout = Layout()  # the file names; the folder is the stage's scratch folder
    writers = {name: pq.ParquetWriter(folder / layout.split(name).name, schema) for name in SPLITS}
    try:
        with open(folder / layout.corpus.name, "w", encoding="utf-8") as corpus:
            for offset, batch in _spool_batches(spool, ["text", "tokens", "label"]):
                rows = split_of[offset: offset + batch.num_rows]
                for code, name in enumerate(SPLITS):
                    mine = np.flatnonzero(rows == code)
                    if not len(mine):
                        continue
                    part = batch.take(pa.array(mine))
                    token_strs = part.column("tokens").to_pylist()
                    token_lists = [t.split() for t in token_strs]
                    ids, oov = encode_batch(token_lists, index, max_len, truncate)
                    lengths = np.fromiter(map(len, token_lists), np.int32, len(token_lists))
                    stats[name]["oov"] += oov
                    stats[name]["tokens"] += int(lengths.sum())
                    writers[name].write_table(pa.table({
                        "text": part.column("text"), "label": part.column("label"),
                        "n_tokens": pa.array(lengths, pa.int32()),
                        "ids": pa.FixedSizeListArray.from_arrays(pa.array(ids.reshape(-1)), max_len),
                    }, schema=schema))
                    if code == 0:
                        # One whitespace-joined line per train review: the Word2Vec
                        # corpus (gensim's corpus_file mode), same tokens as Keras sees.
                        corpus.write("\n".join(token_strs) + "\n")
    finally:
        for w in writers.values():
            w.close()
    return stats


def load_prepare(path: Path | str = config.DEFAULT_PARAMS) -> PrepareParams:
    """The stage's params (``config.load_prepare``) with the names the schema leaves
    to it checked: the format, the embedded data set, the columns it needs."""
    params = config.load_prepare(path)
    check_params(params.data, path)
    return params


def preflight(params: PrepareParams, root: Path = Path(".")) -> PrepareParams:
    """Before any work: the source's files exist (or an embedded data set's set-up
    download does) and dvc.yaml lists them as deps."""
    Ingest(params.data, root)
    dvcdeps.check("prepare", dvcdeps.user_files("prepare", params, root), root)
    return params


def prepare(params: PrepareParams, layout: Layout = Layout(), root: Path | None = None,
            progress: bool | None = None) -> dict:
    """Run the whole stage; returns the data report (also written as JSON).

    ``progress``: a progress bar over the input bytes; None = when stderr is a terminal.
    Inputs are fully validated before anything is written, so a failure leaves
    the previous outputs as they were.
    """
    data = params.data
    ingest = Ingest(data, root, progress=sys.stderr.isatty() if progress is None else progress)
    with fileio.scratch_dir(layout.prepared) as spool_dir:
        spool = spool_dir / "reviews.parquet"
        counts: dict[str, int] = {}
        sp = _spool(ingest, spool, counts)
        counts = {**ingest.counts, **counts}
        split_of = _split_codes(sp, _dedupe(sp, counts), data, ingest.source, counts)
        vocab = _train_vocab(spool, split_of, params.vocab)
        split_lengths = {name: sp.lengths[split_of == i] for i, name in enumerate(SPLITS)}
        max_len = choose_max_len(split_lengths["train"], data.max_len, ingest.params.max_len_percentile)
        with fileio.atomic_dir(layout.prepared) as tmp:
            stats = _write_splits(spool, split_of, {w: i for i, w in enumerate(vocab)}, max_len,
                                  data.truncate, tmp)
            (tmp / layout.vocab.name).write_text(json.dumps({
                "tokenizer": TOKENIZER_VERSION, "pad_id": PAD_ID, "oov_id": OOV_ID,
                "max_len": max_len, "truncate": data.truncate, "tokens": vocab,
            }, ensure_ascii=False), encoding="utf-8")
            report = _report(ingest, counts, split_of, sp, split_lengths, stats, vocab, max_len, data)
            notes = _notes(ingest)
            _write_manifest(tmp, ingest, report, notes, layout)
    plots.lengths(layout.lengths_plot, split_lengths, max_len, data.truncate)
    fileio.write_json(layout.data_report, report)
    return {**report, "notes": notes}


def _write_manifest(folder: Path, ingest: Ingest, report: dict, notes: list[str], layout: Layout) -> None:
    digest = fileio.file_digest(*(folder / layout.split(n).name for n in SPLITS), folder / layout.vocab.name)
    (folder / layout.manifest.name).write_text(json.dumps({
        "source": ingest.source, "digest": digest, "tokenizer": TOKENIZER_VERSION,
        "files": [r.summary() for r in ingest.reports],
        "label_values": dict(sorted(ingest.label_values.items(), key=lambda kv: -kv[1])[:50]),
        "notes": notes, "report": report,
    }, indent=2, ensure_ascii=False, default=fileio.jsonable), encoding="utf-8")


def _report(ingest: Ingest, counts: dict[str, int], split_of: np.ndarray, sp: _Spooled,
            split_lengths: dict[str, np.ndarray], stats: dict, vocab: list[str], max_len: int,
            data) -> dict:
    files = ingest.reports
    report: dict = {"source": ingest.source}
    if files:
        report["files"] = len(files)
        report["lines_read"] = sum(r.lines for r in files)
        report["records_parsed"] = sum(r.records for r in files)
        report["line_record_difference"] = sum(r.line_record_difference for r in files)
        report["multiline_records"] = sum(r.multiline_records for r in files)
    report.update(counts)
    report["reviews"] = int((split_of >= 0).sum())
    if sp.groups is not None:
        report["groups"] = int(len(np.unique(sp.groups[split_of >= 0])))
    report.update({"vocab_size": len(vocab), "max_len": max_len, "truncate": data.truncate,
                   "length": _length_stats(split_lengths["train"])})
    for code, name in enumerate(SPLITS):
        mine = split_of == code
        labels = sp.labels[mine]
        lengths = split_lengths[name]
        entry = {
            "reviews": int(mine.sum()),
            "positive": int((labels == 1).sum()),
            "negative": int((labels == 0).sum()),
            "truncated": int((lengths > max_len).sum()),
            "tokens": stats[name]["tokens"],
            "oov_rate": round(stats[name]["oov"] / max(stats[name]["tokens"], 1), 5),
        }
        if sp.groups is not None:
            entry["groups"] = int(len(np.unique(sp.groups[mine])))
        report[name] = entry
    return report


def _notes(ingest: Ingest) -> list[str]:
    """Things a user should look at, though they did not stop the stage."""
    notes = []
    for r in ingest.reports:
        if r.malformed:
            notes.append(f"{r.path}: skipped {r.malformed} malformed line(s): "
                         f"{'; '.join(r.examples)}")
        if r.multiline_records:
            notes.append(f"{r.path}: {r.multiline_records} record(s) span several lines "
                         f"(quoted newlines; first at line(s) {r.multiline_examples}): "
                         f"{r.lines - r.blank_lines - r.header_lines} lines gave "
                         f"{r.records} records")
        extra = r.line_record_difference - r.merged_lines
        if extra:
            notes.append(f"{r.path}: {extra} line(s) not accounted for by records or skipped "
                         "lines (multi-line malformed records); check the quoting")
        for asked, found in r.aliases.items():
            notes.append(f"{r.path}: column {asked!r} read from {found!r}")
    for key, n in ingest.counts.items():
        if key.startswith("dropped_") and n:
            notes.append(f"{key.removeprefix('dropped_').replace('_', ' ')}: {n} row(s) dropped")
    return notes
