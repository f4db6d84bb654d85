"""Stage ``train``: one grid cell = one (strategy, architecture, seed), one MLflow run.

Every cell has a fingerprint (its config, the data and matrix digests and the
code that trains it). A cell whose fingerprint already has a FINISHED run is not
trained again: its model and predictions are fetched from that run. So a grid
killed half-way resumes where it stopped and never duplicates a run.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import time
import traceback
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embedlab.config import GridParams, TrainParams, W2V_STRATEGIES

FINGERPRINT_TAG = "embedlab.fingerprint"
CELL_TAG = "embedlab.cell"
KIND_TAG = "embedlab.kind"

# Test hook (documented in docs/grid.md): comma-separated cell-name patterns
# (fnmatch, e.g. "learned/*/seed2") that fail on purpose after their MLflow run is
# created, so tests and users can rehearse a crash and the resume that follows.
FAIL_CELLS_ENV = "EMBEDLAB_FAIL_CELLS"

# Words whose neighbourhoods show what fine-tuning does to Word2Vec geometry:
# co-occurrence puts antonyms close ("good"/"bad" share contexts); a sentiment
# loss should push them apart. Words missing from a vocabulary are skipped.
PROBE_WORDS = ("good", "bad", "great", "terrible", "delicious", "awful", "love", "hate",
               "best", "worst", "not", "disappointed")
ANTONYM_PAIRS = (("good", "bad"), ("great", "terrible"), ("love", "hate"), ("best", "worst"),
                 ("delicious", "awful"))
PROBE_NEIGHBOURS = 8


@dataclass(frozen=True)
class Cell:
    strategy: str            # base strategy name, e.g. "w2v_finetuned"
    variant: str | None      # Word2Vec variant for w2v_* strategies
    architecture: str
    seed: int
    label: str               # strategy as shown in tables: "w2v_finetuned" or "w2v_finetuned@sg"

    @property
    def name(self) -> str:
        return f"{self.label}/{self.architecture}/seed{self.seed}"

    @property
    def slug(self) -> str:
        return self.name.replace("/", "__").replace("@", "-")


def expand_grid(grid: GridParams) -> list[Cell]:
    cells = []
    for entry in grid.strategies:
        base, _, variant = entry.partition("@")
        uses_w2v = base in W2V_STRATEGIES
        var = (variant or grid.variant) if uses_w2v else None
        label = base if (not uses_w2v or var == grid.variant) else f"{base}@{var}"
        for arch in grid.architectures:
            for seed in grid.seeds:
                cells.append(Cell(base, var, arch, seed, label))
    names = [c.name for c in cells]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"grid lists the same cell twice: {sorted(dup)}")
    return cells


@dataclass(frozen=True)
class TrainInputs:
    """Paths and digests handed to each cell task (cheap to serialise)."""

    train: str
    val: str
    test: str
    vocab: str
    matrices: dict[str, str]       # variant -> .npy path
    data_digest: str
    matrix_digests: dict[str, str]
    code_digest: str


def code_digest() -> str:
    """Digest of the code that builds and trains a model: a change re-trains."""
    h = hashlib.sha256()
    for mod in ("models.py", "training.py"):
        h.update((Path(__file__).parent / mod).read_bytes())
    return h.hexdigest()[:16]


def fingerprint(cell: Cell, params: TrainParams, inputs: TrainInputs) -> str:
    payload = {
        "cell": asdict(cell), "train": params.model_dump(), "data": inputs.data_digest,
        "matrix": inputs.matrix_digests.get(cell.variant) if cell.variant else None,
        "code": inputs.code_digest,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


# ---------------------------------------------------------------------- metrics
def classification_metrics(y: np.ndarray, prob: np.ndarray, prefix: str) -> dict[str, float]:
    from sklearn import metrics as m

    prob = np.clip(prob.astype(np.float64), 1e-7, 1 - 1e-7)
    pred = (prob >= 0.5).astype(int)
    two = len(np.unique(y)) == 2
    return {
        f"{prefix}accuracy": float(m.accuracy_score(y, pred)),
        f"{prefix}balanced_accuracy": float(m.balanced_accuracy_score(y, pred)),
        f"{prefix}f1_macro": float(m.f1_score(y, pred, average="macro")),
        f"{prefix}roc_auc": float(m.roc_auc_score(y, prob)) if two else float("nan"),
        f"{prefix}pr_auc": float(m.average_precision_score(y, prob)) if two else float("nan"),
        f"{prefix}log_loss": float(m.log_loss(y, prob, labels=[0, 1])),
    }


# ------------------------------------------------------------------- MLflow I/O
def find_run(client, experiment_id: str, fp: str, statuses: tuple[str, ...]):
    runs = client.search_runs(
        [experiment_id], f"tags.`{FINGERPRINT_TAG}` = '{fp}'",
        max_results=50, order_by=["attributes.start_time DESC"])
    return [r for r in runs if r.info.status in statuses]


def _log_params(client, run_id: str, cell: Cell, params: TrainParams, fp: str) -> None:
    from mlflow.entities import Param

    flat = {"strategy": cell.strategy, "variant": cell.variant or "", "architecture": cell.architecture,
            "seed": cell.seed, "fingerprint": fp, **params.model_dump()}
    client.log_batch(run_id, params=[Param(k, str(v)) for k, v in flat.items()])


def _log_metrics(client, run_id: str, values: dict[str, float], step: int = 0) -> None:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    ms = [Metric(k, float(v), now, step) for k, v in values.items() if v is not None and np.isfinite(v)]
    for i in range(0, len(ms), 900):
        client.log_batch(run_id, metrics=ms[i:i + 900])


# --------------------------------------------------------------------- batching
# Sorting by length within windows of this many batches leaves ~6 % of a batch
# as padding on the default data (55 % when every batch is padded to max_len),
# while each window still mixes reviews from across the training set.
BUCKET_WINDOW = 20


def sequence_lengths(x: np.ndarray) -> np.ndarray:
    """Real tokens per row: padding is id 0, always at the end."""
    return np.count_nonzero(x, axis=1)


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None = None
                   ) -> list[np.ndarray]:
    """Row indices of each batch, every row exactly once. With ``rng`` (training):
    shuffled, sorted by length within windows of ``BUCKET_WINDOW`` batches, the
    batches in random order. Without (evaluation): sorted by length."""
    if rng is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    order = rng.permutation(len(lengths))
    window = batch_size * BUCKET_WINDOW
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start:start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _trimmed(x: np.ndarray, lengths: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The rows ``idx``, cut to the longest of them (at least one column)."""
    return x[idx, :max(1, int(lengths[idx].max()))]


def _dataset(x, y, batch_size: int, seed: int, bucketing: bool):
    """Training batches, shuffled per ``seed``. ``bucketing``: batches of similar
    lengths, cut to their longest review, so recurrent and convolutional steps run
    over real words, not padding."""
    import tensorflow as tf

    y = y.astype("float32")
    if not bucketing:
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    lengths = sequence_lengths(x)
    # One generator per dataset: every epoch draws the next shuffle from it, so a
    # seed gives the same batches in every run.
    rng = np.random.default_rng(seed)

    def batches():
        for idx in length_batches(lengths, batch_size, rng):
            yield _trimmed(x, lengths, idx), y[idx]

    # One (None, None) signature: Keras traces its train step once.
    spec = (tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None,), tf.float32))
    ds = tf.data.Dataset.from_generator(batches, output_signature=spec)
    n_batches = -(-len(x) // batch_size)   # windows hold whole batches: only the last is short
    return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(tf.data.AUTOTUNE)


def compiled_predict(model, batch_size: int):
    """``predict(x) -> probabilities`` from one compiled function per model, traced
    once: its (None, None) signature takes every batch shape, unlike Model.predict,
    which compiles anew per model and split (the "triggered tf.function retracing"
    warning). Batches are sorted by length and cut to their longest review."""
    import tensorflow as tf

    step = tf.function(lambda ids: model(ids, training=False),
                       input_signature=[tf.TensorSpec((None, None), tf.int32)])

    def predict(x: np.ndarray) -> np.ndarray:
        lengths, prob = sequence_lengths(x), np.empty(len(x), np.float32)
        for idx in length_batches(lengths, batch_size):
            prob[idx] = np.asarray(step(_trimmed(x, lengths, idx))).ravel()
        return prob

    predict.step = step   # its tracing count shows "traced once"
    return predict


def validation_logs(y: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    """The epoch's validation figures as Keras names them (its loss and accuracy
    formulas; AUC exact rather than Keras' 200-threshold estimate)."""
    from sklearn.metrics import roc_auc_score

    p = np.clip(prob.astype(np.float64), 1e-7, 1 - 1e-7)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    auc = roc_auc_score(y, p) if len(np.unique(y)) == 2 else float("nan")
    return {"val_loss": float(loss), "val_accuracy": float(np.mean((p > 0.5) == y)), "val_auc": float(auc)}


# --------------------------------------------------------------------- training
def _class_weight(y: np.ndarray) -> dict[int, float]:
    n, pos = len(y), int(y.sum())
    return {0: n / (2 * max(n - pos, 1)), 1: n / (2 * max(pos, 1))}


def fit_cell(cell: Cell, params: TrainParams, inputs: TrainInputs, on_epoch=None) -> dict:
    """Build and train one model. Returns the model, history and predictions."""
    import keras

    from embedlab.models import build_model, compile_model, embedding_tables, parameter_counts
    from embedlab.prepare import read_split, read_vocab

    x_tr, y_tr = read_split(inputs.train)
    x_va, y_va = read_split(inputs.val)
    x_te, y_te = read_split(inputs.test)
    vocab = read_vocab(inputs.vocab)
    matrix = np.load(inputs.matrices[cell.variant]) if cell.variant else None

    model = build_model(cell.strategy, cell.architecture, vocab_size=len(vocab["tokens"]),
                        matrix=matrix, embedding_dim=params.embedding_dim,
                        units=params.units, dropout=params.dropout, seed=cell.seed,
                        learning_rate=params.learning_rate)
    initial_tables = embedding_tables(model)
    counts = parameter_counts(model)
    train_ds = _dataset(x_tr, y_tr, params.batch_size, cell.seed, params.bucketing)
    cw = _class_weight(y_tr) if params.class_weight else None
    predict = compiled_predict(model, params.batch_size)

    class EpochEnd(keras.callbacks.Callback):
        """First in the list: its validation figures join the epoch's logs before
        EarlyStopping and History read them (Keras' own validation pass would
        compile a second inference function per model)."""

        def on_epoch_end(self, epoch, logs=None):
            logs.update(validation_logs(y_va, predict(x_va)))
            if on_epoch:
                on_epoch(epoch, dict(logs))

    def fit(epochs: int, initial_epoch: int = 0, stop: bool = True) -> dict[str, list[float]]:
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=params.patience,
                                                restore_best_weights=True)
        # shuffle=False: the tf.data pipeline shuffles (per seed); Keras' flag would be ignored.
        h = model.fit(train_ds, epochs=epochs, initial_epoch=initial_epoch, verbose=0, shuffle=False,
                      class_weight=cw, callbacks=[EpochEnd(), *([stopper] if stop else [])])
        return {key: list(v) for key, v in h.history.items()}

    t0 = time.perf_counter()
    if cell.strategy == "w2v_unfreeze":
        # Phase 1: the Word2Vec table frozen while the rest of the network settles;
        # phase 2: fine-tune everything at a lower learning rate.
        k = min(params.unfreeze_after, params.epochs)
        history = fit(k, stop=False)
        if params.epochs > k:
            model.get_layer("embedding").trainable = True
            compile_model(model, params.learning_rate * params.unfreeze_lr_factor)
            for key, v in fit(params.epochs, initial_epoch=k).items():
                history.setdefault(key, []).extend(v)
    else:
        history = fit(params.epochs)
    seconds = time.perf_counter() - t0
    epochs_run = len(history.get("loss", []))

    val_prob, test_prob = predict(x_va), predict(x_te)
    final_tables = embedding_tables(model)
    return {
        "model": model, "history": history, "val_prob": val_prob, "test_prob": test_prob,
        "y_val": y_va, "y_test": y_te, "seconds": seconds, "epochs_run": epochs_run,
        "examples_per_second": len(x_tr) * epochs_run / max(seconds, 1e-9),
        "counts": counts, "initial_tables": initial_tables, "final_tables": final_tables,
    }


def _table_prefix(name: str) -> str:
    return "drift" if name == "embedding" else f"drift_{name.removeprefix('embedding_')}"


def drift_summary(initial: dict[str, np.ndarray], final: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """Per-row L2 change of each trainable table (row 0, padding, excluded)."""
    metrics, rows = {}, {}
    for name, before in initial.items():
        after = final[name]
        change = np.linalg.norm(after[1:].astype(np.float64) - before[1:], axis=1)
        rows[name] = change
        prefix = _table_prefix(name)
        empty = len(change) == 0
        metrics[f"{prefix}_mean"] = float(change.mean()) if not empty else 0.0
        metrics[f"{prefix}_p50"] = float(np.percentile(change, 50)) if not empty else 0.0
        metrics[f"{prefix}_p90"] = float(np.percentile(change, 90)) if not empty else 0.0
        metrics[f"{prefix}_max"] = float(change.max()) if not empty else 0.0
        metrics[f"{prefix}_share_moved"] = float((change > 1e-7).mean()) if not empty else 0.0
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


def probe_report(initial: dict[str, np.ndarray], final: dict[str, np.ndarray], tokens: list[str],
                 words=PROBE_WORDS, pairs=ANTONYM_PAIRS, k: int = PROBE_NEIGHBOURS) -> tuple[dict, dict]:
    """How training moved chosen words: nearest neighbours and antonym cosines,
    before vs after, per trainable table. Returns (metrics, JSON-able report)."""
    index = {w: i for i, w in enumerate(tokens)}
    metrics: dict[str, float] = {}
    report: dict = {}
    for name, before in initial.items():
        after = final[name]
        ub, ua = _unit_rows(before), _unit_rows(after)
        entry: dict = {"neighbours": {}, "antonyms": {}, "k": k}
        overlaps = []
        for w in words:
            i = index.get(w)
            if i is None or i < 2:
                continue
            nb, na = _neighbours(ub, i, tokens, k), _neighbours(ua, i, tokens, k)
            overlap = len({t for t, _ in nb} & {t for t, _ in na}) / max(k, 1)
            overlaps.append(overlap)
            entry["neighbours"][w] = {"before": nb, "after": na, "overlap": overlap,
                                      "self_cosine": round(float(ub[i] @ ua[i]), 4)}
        changes = []
        for a, b in pairs:
            if a in index and b in index:
                cb = float(ub[index[a]] @ ub[index[b]])
                ca = float(ua[index[a]] @ ua[index[b]])
                changes.append(ca - cb)
                entry["antonyms"][f"{a}/{b}"] = {"before": round(cb, 4), "after": round(ca, 4),
                                                 "change": round(ca - cb, 4)}
        prefix = _table_prefix(name)
        if overlaps:
            metrics[f"{prefix}_probe_overlap"] = float(np.mean(overlaps))
        if changes:
            metrics[f"{prefix}_antonym_cos_change"] = float(np.mean(changes))
        report[name] = entry
    return metrics, report


# ------------------------------------------------------------------------ plots
def _figure(width: float, height: float):
    # The object API, not pyplot: pyplot's global state is not thread-safe, and
    # cells may train in threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_learning_curves(history: dict[str, list[float]], title: str, path: Path) -> None:
    fig = _figure(9, 3.5)
    best = int(np.argmin(history["val_loss"])) if history.get("val_loss") else None
    for ax, key in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        for split, style in (("", "-"), ("val_", "--")):
            values = history.get(f"{split}{key}")
            if values:
                ax.plot(range(1, len(values) + 1), values, style, marker="o",
                        label="validation" if split else "train")
        if best is not None:
            ax.axvline(best + 1, color="grey", lw=0.8, ls=":", label="best (restored)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)


def plot_confusion(y: np.ndarray, prob: np.ndarray, title: str, path: Path) -> None:
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y, (prob >= 0.5).astype(int), labels=[0, 1])
    fig = _figure(4, 3.6)
    ax = fig.subplots()
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > cm.max() / 2 else "black")
    ax.set_xticks([0, 1], ["negative", "positive"])
    ax.set_yticks([0, 1], ["negative", "positive"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def _log_datasets(client, run_id: str, inputs: TrainInputs) -> None:
    """The splits as MLflow dataset inputs (source path + the data digest)."""
    import mlflow.data
    from mlflow.entities import DatasetInput, InputTag
    from embedlab.prepare import read_split

    entities = []
    for split in ("train", "val", "test"):
        path = getattr(inputs, split)
        x, y = read_split(path)
        with warnings.catch_warnings():
            # MLflow registers the local-file source type twice and says so.
            warnings.filterwarnings("ignore", message="The specified dataset source can be")
            ds = mlflow.data.from_numpy(x, targets=y, source=str(Path(path).resolve()),
                                        name=f"prepared-{split}", digest=inputs.data_digest)
        entities.append(DatasetInput(ds._to_mlflow_entity(),
                                     tags=[InputTag("mlflow.data.context", split)]))
    client.log_inputs(run_id, datasets=entities)


class InjectedFailure(RuntimeError):
    """Raised by the ``EMBEDLAB_FAIL_CELLS`` test hook."""


def check_injected_failure(cell: Cell) -> None:
    patterns = [p.strip() for p in os.environ.get(FAIL_CELLS_ENV, "").split(",") if p.strip()]
    if any(fnmatch.fnmatchcase(cell.name, p) for p in patterns):
        raise InjectedFailure(f"{cell.name}: failed on purpose ({FAIL_CELLS_ENV}={os.environ[FAIL_CELLS_ENV]!r})")


def train_cell(cell: Cell, params: TrainParams, inputs: TrainInputs, tracking_uri: str,
               experiment_id: str, parent_run_id: str, out_dir: str) -> dict:
    """Train (or reuse) one cell; write its model and predictions under ``out_dir``."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri, tracking_uri)
    fp = fingerprint(cell, params, inputs)
    cell_dir = Path(out_dir) / cell.slug
    done = find_run(client, experiment_id, fp, ("FINISHED",))
    if done:
        run = done[0]
        if cell_dir.exists():
            shutil.rmtree(cell_dir)
        cell_dir.mkdir(parents=True)
        for name in ("model.keras", "predictions.npz"):
            client.download_artifacts(run.info.run_id, name, str(cell_dir))
        return {"cell": cell.name, "run_id": run.info.run_id, "status": "reused",
                **{k: v for k, v in run.data.metrics.items()}}

    # An earlier attempt that crashed or failed is replaced, not kept beside the new one.
    for stale in find_run(client, experiment_id, fp, ("RUNNING", "FAILED", "KILLED", "SCHEDULED")):
        client.delete_run(stale.info.run_id)
    run = client.create_run(experiment_id, run_name=cell.name, tags={
        "mlflow.parentRunId": parent_run_id, FINGERPRINT_TAG: fp, CELL_TAG: cell.name,
        KIND_TAG: "cell", "strategy": cell.label, "architecture": cell.architecture,
        "seed": str(cell.seed)})
    run_id = run.info.run_id
    try:
        _log_params(client, run_id, cell, params, fp)
        check_injected_failure(cell)
        try:
            _log_datasets(client, run_id, inputs)
        except Exception as exc:  # lineage is a nicety; never lose a cell over it
            client.set_tag(run_id, "dataset_logging_error", f"{type(exc).__name__}: {exc}"[:500])

        def on_epoch(epoch: int, logs: dict) -> None:
            _log_metrics(client, run_id, {
                "train_loss": logs.get("loss"), "train_accuracy": logs.get("accuracy"),
                "val_loss": logs.get("val_loss"), "val_accuracy": logs.get("val_accuracy"),
                "val_auc": logs.get("val_auc")}, step=epoch)

        res = fit_cell(cell, params, inputs, on_epoch)
        val = classification_metrics(res["y_val"], res["val_prob"], "best_val_")
        test = classification_metrics(res["y_test"], res["test_prob"], "test_")
        val_loss = res["history"].get("val_loss", [])
        summary = {**val, **test, **res["counts"], "epochs_run": res["epochs_run"],
                   "best_epoch": int(np.argmin(val_loss)) if val_loss else 0,
                   "train_seconds": res["seconds"], "examples_per_second": res["examples_per_second"]}
        # Drift only for tables that started as Word2Vec and were trainable at the
        # end (w2v_unfreeze's table counts once unfrozen).
        from embedlab.models import tables_for

        w2v_tables = {s.name for s in tables_for(cell.strategy) if s.init == "w2v"}
        trainable = {n: t for n, t in res["initial_tables"].items()
                     if n in w2v_tables and res["model"].get_layer(n).trainable}
        drift_rows, probes = {}, None
        if trainable:
            drift, drift_rows = drift_summary(trainable, res["final_tables"])
            from embedlab.prepare import read_vocab

            probe_metrics, probes = probe_report(trainable, res["final_tables"],
                                                 read_vocab(inputs.vocab)["tokens"])
            summary.update(drift)
            summary.update(probe_metrics)
        _log_metrics(client, run_id, summary)

        if cell_dir.exists():
            shutil.rmtree(cell_dir)
        cell_dir.mkdir(parents=True)
        res["model"].save(cell_dir / "model.keras")
        np.savez_compressed(cell_dir / "predictions.npz", val_prob=res["val_prob"],
                            test_prob=res["test_prob"], y_val=res["y_val"], y_test=res["y_test"],
                            **{f"drift_{k}": v for k, v in drift_rows.items()})
        (cell_dir / "history.json").write_text(json.dumps(res["history"]))
        plot_learning_curves(res["history"], cell.name, cell_dir / "learning_curves.png")
        plot_confusion(res["y_test"], res["test_prob"], f"{cell.name} (test)",
                       cell_dir / "confusion_matrix.png")
        artifacts = ["model.keras", "predictions.npz", "history.json", "learning_curves.png",
                     "confusion_matrix.png"]
        if probes is not None:
            hist = {n: dict(zip(("counts", "edges"), (c.tolist(), e.tolist())))
                    for n, (c, e) in ((n, np.histogram(r, bins=20)) for n, r in drift_rows.items())}
            (cell_dir / "drift.json").write_text(json.dumps({
                "per_row_change_histogram": hist, "probes": probes,
                "metrics": {k: v for k, v in summary.items() if k.startswith("drift")}}, indent=2))
            artifacts.append("drift.json")
        for name in artifacts:
            client.log_artifact(run_id, str(cell_dir / name))
        client.set_terminated(run_id, "FINISHED")
        return {"cell": cell.name, "run_id": run_id, "status": "trained", **summary}
    except BaseException as exc:
        client.set_tag(run_id, "error", f"{type(exc).__name__}: {exc}"[:4000])
        client.log_text(run_id, traceback.format_exc(), "error.txt")
        client.set_terminated(run_id, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise


def tfidf_baseline(inputs: TrainInputs) -> dict:
    """TF-IDF + logistic regression on the same split and the same tokenizer."""
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from embedlab_serving.text import tokenize

    frames = {k: pd.read_parquet(getattr(inputs, k), columns=["text", "label"])
              for k in ("train", "val", "test")}
    t0 = time.perf_counter()
    vec = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                          ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    xtr = vec.fit_transform(frames["train"]["text"])
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(xtr, frames["train"]["label"])
    seconds = time.perf_counter() - t0
    out = {"cell": "tfidf_logreg", "status": "trained", "train_seconds": seconds}
    probs = {}
    for split in ("val", "test"):
        prob = clf.predict_proba(vec.transform(frames[split]["text"]))[:, 1]
        probs[split] = prob
        prefix = "best_val_" if split == "val" else "test_"
        out.update(classification_metrics(frames[split]["label"].to_numpy(), prob, prefix))
    out["test_prob"] = probs["test"]
    return out
