"""params.yaml, typed and strict.

Each stage reads the sections dvc.yaml lists as its params (prepare: data and vocab;
train: train, grid, runner and embeddings.probes; the others their own). An unknown or mistyped key is an error
that names the file and the key (``params.yaml: data.split.trian: unknown key``),
never a silently ignored setting.

The schema checks types and values only: a name that a registry resolves (a
strategy, an architecture, a format, an embedded data set or vectors) is a plain
string here, checked by the stage that uses it before work starts (``load_*`` in
``embedlab.prepare.stage``, ``embedlab.embeddings.stage`` and ``embedlab.train.grid``), with the
same one-line error (:func:`key_error`). So this module imports no registry, and
editing one re-runs only the stages that use it.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from embedlab.errors import ConfigError

DEFAULT_PARAMS = Path("params.yaml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- data
class SplitParams(Strict):
    train: float = Field(0.8, gt=0, lt=1)
    val: float = Field(0.1, gt=0, lt=1)
    test: float = Field(0.1, gt=0, lt=1)
    seed: int = 42

    @model_validator(mode="after")
    def _sum_to_one(self) -> SplitParams:
        total = self.train + self.val + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"train + val + test must sum to 1, they sum to {total:g}")
        return self


class LabelRule(Strict):
    """Numeric thresholds (star ratings) or value lists (string labels)."""

    positive_min: float | None = None
    negative_max: float | None = None
    positive_values: list[str] | None = None
    negative_values: list[str] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> LabelRule:
        numeric = self.positive_min is not None or self.negative_max is not None
        values = self.positive_values is not None or self.negative_values is not None
        if numeric == values:
            raise ValueError("give either positive_min and negative_max (numeric labels) "
                             "or positive_values and negative_values (string labels)")
        if numeric:
            if self.positive_min is None or self.negative_max is None:
                raise ValueError("numeric labels need both positive_min and negative_max")
            if self.negative_max >= self.positive_min:
                raise ValueError("negative_max must be below positive_min")
        else:
            if not self.positive_values or not self.negative_values:
                raise ValueError("string labels need non-empty positive_values and negative_values")
            overlap = set(self.positive_values) & set(self.negative_values)
            if overlap:
                raise ValueError(f"values in both lists: {sorted(overlap)}")
        return self


class DataParams(Strict):
    # A file, a glob, or an embedded data set (embedlab.sources: embedded:amazon-fine-foods,
    # embedded:imdb-50k). Resolved, and its column defaults filled in, by embedlab.prepare.data.
    source: str = "embedded:amazon-fine-foods"
    format: str = "auto"  # auto: from the extension; else a name in embedlab.formats; files only
    # null: the embedded data set's own (embedlab.sources); a file source must set them.
    text_columns: list[str] | None = Field(None, min_length=1)
    label_column: str | None = None
    label: LabelRule | None = None
    group_column: str | None = None
    # Field names of header-less CSV/TSV files, in order (Amazon Polarity:
    # [label, title, text]); null = the first row is the header.
    columns: list[str] | None = None
    max_bad_fraction: float = Field(0.0, ge=0, le=1)
    split: SplitParams = SplitParams()
    max_len: int | Literal["auto"] = "auto"
    # null = the embedded data set's measured best (sources.py), a file's 90
    max_len_percentile: float | None = Field(None, gt=0, le=100)
    truncate: Literal["pre", "post"] = "post"
    sample: int | None = Field(None, ge=10, description="use only this many reviews (quick trials)")

    @field_validator("max_len")
    @classmethod
    def _max_len(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("max_len must be >= 1 or 'auto'")
        return value

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("names repeat")
        return value


class VocabParams(Strict):
    min_count: int = Field(2, ge=1)
    max_size: int = Field(20000, ge=10)


class PrepareParams(Strict):
    data: DataParams = DataParams()
    vocab: VocabParams = VocabParams()


# --------------------------------------------------------------------- embeddings
# Keys that only make sense when embedlab trains the vectors itself.
W2V_TRAINING_KEYS = ("sg", "vector_size", "window", "negative", "min_count", "sample", "epochs", "seed")


class Word2VecVariant(Strict):
    """One named set of vectors, of exactly one kind: trained here (the Word2Vec
    keys), read from ``path`` (a word2vec text or binary file), or the pretrained
    vectors of an embedded ``source`` (``embedded:glove-6b-50d``, shipped by a
    package pinned in requirements.lock; ``embedlab.embeddings.vectors.EMBEDDED_VECTORS``)."""

    sg: Literal[0, 1] = 0  # 0 = CBOW, 1 = skip-gram
    vector_size: int = Field(100, gt=0)
    window: int = Field(5, gt=0)
    negative: int = Field(5, ge=0)
    min_count: int = Field(1, ge=1)
    sample: float = Field(1e-3, ge=0)
    epochs: int = Field(10, gt=0)
    seed: int = 1
    # External vectors (word2vec text/binary format, optionally .gz; GloVe's
    # header-less text too). Never a pickle: gensim .kv/.model files are refused.
    path: str | None = None
    binary: bool | Literal["auto"] = "auto"  # auto: sniffed from the file's bytes
    # Pretrained vectors shipped by a pinned package: embedded:<name>.
    source: str | None = None
    limit: int | None = Field(None, gt=0, description="read only the first N vectors (huge files)")

    @model_validator(mode="after")
    def _one_kind(self) -> Word2VecVariant:
        if self.path is not None and self.source is not None:
            raise ValueError("a variant has either path: (a vectors file) or source: (embedded "
                             "vectors), not both; remove one")
        if self.path is None and self.source is None:
            stray = [k for k in ("binary", "limit") if k in self.model_fields_set]
            if stray:
                raise ValueError(f"{', '.join(stray)} only apply to external vectors; "
                                 "set path: to a word2vec-format file or remove them")
            return self
        if self.source is not None:
            if "binary" in self.model_fields_set:
                raise ValueError("binary applies to a vectors file (path:), not to embedded vectors")
        elif not self.path.strip():
            raise ValueError("path is empty; give a word2vec text/binary file or remove path")
        both = [k for k in W2V_TRAINING_KEYS if k in self.model_fields_set]
        if both:
            given = "path" if self.path is not None else "source"
            raise ValueError(f"a variant is either trained or external, not both: {given} is set "
                             f"and so are training keys {', '.join(both)}; remove one side")
        return self

    @property
    def kind(self) -> Literal["trained", "file", "embedded"]:
        if self.source is not None:
            return "embedded"
        return "file" if self.path is not None else "trained"

    @property
    def external(self) -> bool:
        """Pretrained elsewhere (a file or embedded vectors): needs no corpus."""
        return self.kind != "trained"


class ExtraCorpus(Strict):
    """Unlabeled review text added to the Word2Vec corpus (never to the classifier's data)."""

    path: str = Field(min_length=1)
    format: str = "auto"  # auto: from the extension; else a name in embedlab.formats
    text_columns: list[str] = Field(default_factory=lambda: ["review"], min_length=1)


class ProbeParams(Strict):
    """Quality probes: nearest neighbours of these words, cosine of these antonym pairs."""

    words: list[str] = Field(default_factory=lambda: [
        "good", "bad", "great", "terrible", "delicious", "awful", "love", "hate", "best",
        "worst", "not", "disappointed", "return"])
    antonyms: list[tuple[str, str]] = Field(default_factory=lambda: [
        ("good", "bad"), ("great", "terrible"), ("great", "awful"), ("love", "hate"),
        ("best", "worst"), ("delicious", "disgusting"), ("excellent", "horrible"),
        ("like", "dislike"), ("recommend", "avoid")])
    topn: int = Field(8, gt=0, le=100)


class EmbeddingsParams(Strict):
    variants: dict[str, Word2VecVariant] = Field(
        default_factory=lambda: {"cbow": Word2VecVariant(), "skipgram": Word2VecVariant(sg=1),
                                 "glove6b": Word2VecVariant(source="embedded:glove-6b-50d")},
        min_length=1)
    # Vocabulary words the vectors lack: 'random' draws N(0, std of the vectors),
    # 'zeros' leaves them at zero. Row 0 (padding) is always zero.
    oov_init: Literal["random", "zeros"] = "random"
    workers: int = Field(0, ge=0, description="0 = all cores; only without deterministic")
    # One worker per variant and a fixed PYTHONHASHSEED (the stage re-executes itself
    # with it): identical vectors on every run, so a fresh clone's `dvc repro` gives the
    # committed numbers. The variants train side by side, so the cores stay busy.
    deterministic: bool = True
    extra_corpus: list[ExtraCorpus] = Field(default_factory=list)
    # Val/test texts in the Word2Vec corpus leak their word co-occurrences into the
    # vectors; off by default, and recorded in the report when on.
    include_eval_texts: bool = False
    probes: ProbeParams = ProbeParams()
    track: bool = True  # log the run to MLflow (run name `embeddings`)

    @model_validator(mode="after")
    def _names(self) -> EmbeddingsParams:
        for name in self.variants:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                raise ValueError(f"variant name {name!r}: use letters, digits, '_', '-', '.' "
                                 "(it becomes a file name and a grid reference)")
        return self


# -------------------------------------------------------------------------- train
# Fewest labeled reviews a cell may be fitted on: a stratified subset needs both classes,
# and fewer than this many examples make a curve point that says nothing.
MIN_TRAIN_SIZE = 10
ALL_TRAIN = "all"  # grid.train_sizes: the whole train split


def size_order(train_size: int | str) -> float:
    """Sort key of grid.train_sizes: counts ascending, the whole split last."""
    return float("inf") if train_size == ALL_TRAIN else float(train_size)


def headline_size(sizes) -> int | str:
    """The size a report's single-size tables, comparisons and champion use: the largest."""
    return max(sizes, key=size_order)



class TrainParams(Strict):
    epochs: int = Field(8, gt=0)
    batch_size: int = Field(64, gt=0)
    learning_rate: float = Field(1e-3, gt=0)
    patience: int = Field(2, ge=0, description="early stopping on val loss")
    embedding_dim: int = Field(100, gt=0, description="width of tables not from Word2Vec")
    units: int = Field(64, gt=0, description="LSTM units / CNN filters per width / dense units")
    dropout: float = Field(0.2, ge=0, lt=1)
    class_weight: bool = False
    # The linear head (architecture `linear`) has no hidden layer and no dropout: its
    # regulariser is this L2 penalty on the output kernel, added to the mean batch loss
    # (~ 1 / (2 C N) of logistic regression's C at N labels); 0 = none. Other
    # architectures regularise by dropout and ignore it.
    l2: float = Field(0.0, ge=0, description="linear head: L2 penalty on the output kernel")
    # An epoch of fewer batches cycles through the labeled reviews until it has this many:
    # a small train size (grid.train_sizes) then gets updates between validation checks.
    # 20: a small labeled size still gets updates between validation checks; the whole
    # default split has more batches than that per epoch, so its epochs are unchanged.
    min_steps_per_epoch: int = Field(20, ge=1, description="batches an epoch has at least")
    unfreeze_after: int = Field(2, ge=1, description="w2v_unfreeze: frozen epochs before fine-tuning")
    unfreeze_lr_factor: float = Field(0.1, gt=0, le=1)
    bucketing: bool = Field(True, description="batches of similar-length reviews cut to their longest")
    # What goes into the Embedding besides the words (docs/grid.md, "Word n-grams"): 1 = words
    # only; 2 adds hashed word bigrams, 3 also trigrams, fastText-style, from a random,
    # always-trainable table of ngram_buckets hash buckets (embedlab_serving.ngrams).
    ngrams: int = Field(1, ge=1, le=3, description="1 = words only; 2 = + word bigrams; 3 = + trigrams")
    ngram_buckets: int = Field(100_000, ge=1, description="hash buckets of the n-gram table")
    # A cell below the whole split (grid.train_sizes) uses its N labeled reviews in all: this
    # stratified share of them early-stops, validates and tunes it, the rest fit. At `all`
    # the val split does that (docs/grid.md, "Tuning and label budgets").
    holdout: float = Field(0.2, gt=0, lt=1, description="share of a cell's N labels that selects")
    # Below cv_below labels a cell selects by stratified k-fold cross-validation over its N
    # labels instead (each fold early-stops on its held fold; the score is the out-of-fold
    # accuracy), then refits on all N for the folds' median best epoch count; its TF-IDF
    # reference chooses C on the same folds. Why 2,000: a holdout of 20 % of 1,000 labels is
    # 200 reviews, whose accuracy has a standard error of about 3 points, the size of the
    # gaps it chooses among (issue 31: at 100 labels, 20 reviews chose a config scoring 0.783
    # on them and 0.676 on test); cross-validation scores all N. Measured on the reference
    # only (C, Amazon's 5,000-review sample, 3 seeds, not the networks): the mean gap between
    # selection score and test accuracy was 4.9 / 3.1 / 3.0 / 2.5 points with the holdout and
    # 1.9 / 2.0 / 2.6 / 1.2 with 5 folds at 100 / 300 / 1,000 / 2,000 labels. Its price,
    # cv_folds + 1 fits per trial, is small below min_steps_per_epoch x batch_size (1,280)
    # labels, where an epoch costs the same whatever N; above, a network's fits grow with N
    # and the holdout (600 reviews at the curves' next size, 3,000) is less noisy.
    # 0 = never; `all` always selects on the val split.
    cv_below: int = Field(2000, ge=0, description="train sizes below this select by k-fold CV")
    cv_folds: int = Field(5, ge=2, description="folds of that cross-validation")
    # Discriminative fine-tuning (Howard & Ruder 2018): vector-initialised tables train at
    # this multiple of the learning rate (0 keeps them where they are); 1 = plain Adam.
    table_lr_scale: float = Field(1.0, ge=0, description="learning-rate multiplier of vectors tables")
    # Optuna trials per cell, the same for every strategy (embedlab.train.tuning); 0 trains
    # once at these params.
    tune_trials: int = Field(0, ge=0, description="hyperparameter trials per cell; 0 = none")


TrainSize = typing.Annotated[int, Field(ge=MIN_TRAIN_SIZE)] | Literal[ALL_TRAIN]


class GridParams(Strict):
    # Word2Vec trained here vs GloVe pretrained on 6B tokens (docs/grid.md: why these cells).
    # Names of embedlab.strategies (strategy@variant) and embedlab.train.architectures, checked
    # by embedlab.train.grid.load_train.
    strategies: list[str] = Field(default_factory=lambda: [
        "learned", "random_frozen", "w2v_frozen", "w2v_finetuned", "w2v_frozen@glove6b",
        "w2v_finetuned@glove6b"], min_length=1)
    architectures: list[str] = Field(default_factory=lambda: ["lstm", "cnn", "meanpool"], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [1, 2], min_length=1)
    variant: str = "cbow"  # the vectors variant a bare strategy that needs vectors uses
    # Labeled reviews each cell is fitted on: "all" (the whole train split) or a count, e.g.
    # [100, 300, 1000, all] for a learning curve. For each seed the subsets are stratified and
    # nested (embedlab.splits.labeled_subset); validation and test stay whole.
    train_sizes: list[TrainSize] = Field(default_factory=lambda: [ALL_TRAIN], min_length=1)
    baseline: bool = True  # TF-IDF + logistic regression reference row (one per train size)
    # The largest train size an architecture runs at, e.g. {cnn: 3000}: the grid is a
    # cross product, and on 2 cores a tuned cnn or lstm cell at tens of thousands of
    # labels takes half an hour where meanpool takes minutes. Sizes above the cap (and
    # `all`) have no cell of that architecture; the answer page selects among the rest.
    max_train_size: dict[str, TrainSize] = Field(default_factory=dict)
    # The smallest train size an architecture runs at, e.g. {meanpool: 1000}: below it,
    # cross-validated, each of its trials fits a hidden layer once per fold on a few dozen
    # reviews, the dearest cells of a curve, and the linear head is the one to beat there.
    min_train_size: dict[str, TrainSize] = Field(default_factory=dict)

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, values: list[int]) -> list[int]:
        if len(set(values)) != len(values):
            raise ValueError("seeds repeat")
        return values

    @field_validator("train_sizes")
    @classmethod
    def _train_sizes(cls, values: list) -> list:
        if len(set(values)) != len(values):
            raise ValueError("train sizes repeat")
        return values


class RunnerParams(Strict):
    # Two cells side by side, each process with its share of the cores, beat one
    # cell on both cores: a cell's small ops leave a second core idle much of the
    # time (benchmarks/results/runner_parallelism.json).
    kind: Literal["sequential", "threads", "processes", "dask"] = "processes"
    workers: int = Field(2, gt=0)
    address: str | None = None  # dask: tcp://scheduler:8786 for an existing cluster


class TrainStageParams(Strict):
    train: TrainParams = TrainParams()
    grid: GridParams = GridParams()
    runner: RunnerParams = RunnerParams()
    # embeddings.probes: the one probe list; the train stage's drift probes read it too.
    probes: ProbeParams = ProbeParams()


# ----------------------------------------------------------------------- evaluate
class EvaluateParams(Strict):
    model_name: str = "review-sentiment"
    alias: str = "champion"
    margin: float = Field(0.0, ge=0, description="accuracy a challenger must gain to be promoted")
    select_metric: Literal["val_accuracy", "val_auc"] = "val_accuracy"
    # Mean pass rate of the behaviour checks (embedlab.evaluate.behaviour) a challenger needs;
    # a constant model scores 0.5, so 0.6 asks for better than constant.
    min_behaviour_pass_rate: float = Field(0.6, ge=0, le=1)


# ------------------------------------------------------------------------- answer
class AnswerParams(Strict):
    # The family-wise error level of every "better"/"worse" on the answer page (Holm over
    # all its comparisons), and the bootstrap draws behind each interval and p-value.
    alpha: float = Field(0.05, gt=0, lt=1)
    n_boot: int = Field(4000, ge=200)
    # The grid `embedlab answer --source/--sizes/--tune` runs, as a DVC experiment: the
    # strategies that answer "learned or pretrained vectors?", on an equal tuning budget,
    # over three seeds; sized to answer 2,000 reviews at three sizes within half an hour on
    # 2 cores (benchmarks/answer_user_csv.py). Every vectors variant the default embeddings
    # section trains is a frozen strategy of its own (the seed's question: Word2Vec in a
    # frozen Embedding, `w2v_frozen`, is cbow's). The linear head alone (averaged vectors
    # straight to the output): over a frozen table it is fitted exactly, a tuned cell in
    # seconds; cross-validated at small sizes, a tuned meanpool cell took about 85 s on
    # the Amazon reviews at N = 100 and a cnn one about 175 s. A trainable table is the
    # dear cell (Adam steps every row each batch): fine-tuning is asked once, of GloVe;
    # `w2v_finetuned` (CBOW's) was the dearest strategy of the 10,000-review run
    # (answer_user_csv.json at 2ad66be; 31 % of its cell-seconds, read from that run's
    # MLflow store) and no committed page chose it. The stage answers for whatever grid ran.
    strategies: list[str] = ["learned", "w2v_frozen", "w2v_frozen@skipgram", "w2v_frozen@glove6b",
                             "w2v_finetuned@glove6b"]
    architectures: list[str] = ["linear"]
    seeds: list[int] = [1, 2, 3]
    tune_trials: int = Field(4, ge=0)


class ScheduleParams(Strict):
    cron: str = "0 2 * * *"
    timezone: str = "UTC"


class Params(Strict):
    data: DataParams = DataParams()
    vocab: VocabParams = VocabParams()
    embeddings: EmbeddingsParams = EmbeddingsParams()
    train: TrainParams = TrainParams()
    grid: GridParams = GridParams()
    runner: RunnerParams = RunnerParams()
    evaluate: EvaluateParams = EvaluateParams()
    answer: AnswerParams = AnswerParams()
    schedule: ScheduleParams = ScheduleParams()


# ------------------------------------------------------------------------ loading
def read_yaml(path: Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: file not found. Run from the project root or pass --params.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {exc.problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(raw).__name__}")
    return raw


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """Allowed keys of the (nested) model that ``loc`` points into."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
        # unwrap Optional[X]
        args = [a for a in typing.get_args(current) if a is not type(None)]
        if typing.get_origin(current) in (typing.Union, types.UnionType) and len(args) == 1:
            current = args[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def format_validation_error(path: Path, exc: ValidationError, prefix: tuple[str, ...],
                            model: type[BaseModel]) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(prefix + loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
            lines.append(f"{path}: {key}: unknown key{hint}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path}: {key}: {msg} (got {err.get('input')!r})")
    return "\n".join(lines) + "\nFix params.yaml and run again."


def key_error(path: Path | str, key: str, message: str, got: Any) -> ConfigError:
    """A value the schema accepts but the stage cannot use (a name its registry does
    not know), said exactly as a schema error is."""
    return ConfigError(f"{path}: {key}: {message} (got {got!r})\nFix params.yaml and run again.")


def _validate(model: type[Strict], raw: Any, path: Path, prefix: tuple[str, ...]) -> Any:
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, prefix, model)) from None


def load_params(path: Path | str = DEFAULT_PARAMS) -> Params:
    """The whole file, every section validated."""
    path = Path(path)
    return _validate(Params, read_yaml(path), path, ())


def _sections(model: type[Strict], path: Path) -> Any:
    raw = read_yaml(path)
    unknown = set(raw) - set(Params.model_fields)
    if unknown:
        raise ConfigError(f"{path}: {', '.join(sorted(unknown))}: unknown section "
                          f"(allowed: {', '.join(Params.model_fields)})")
    wanted = {k: raw[k] for k in model.model_fields if k in raw}
    return _validate(model, wanted, path, ())


def load_prepare(path: Path | str = DEFAULT_PARAMS) -> PrepareParams:
    return _sections(PrepareParams, Path(path))


def load_embeddings(path: Path | str = DEFAULT_PARAMS) -> EmbeddingsParams:
    raw = read_yaml(Path(path)).get("embeddings")
    return _validate(EmbeddingsParams, raw, Path(path), ("embeddings",))


def load_train(path: Path | str = DEFAULT_PARAMS) -> TrainStageParams:
    """Sections train, grid, runner, plus embeddings.probes (the one probe list)."""
    path = Path(path)
    stage = _sections(TrainStageParams, path)
    embeddings = read_yaml(path).get("embeddings")
    probes = embeddings.get("probes") if isinstance(embeddings, dict) else None
    if probes is None:
        return stage
    return stage.model_copy(update={"probes": _validate(ProbeParams, probes, path, ("embeddings", "probes"))})


def load_evaluate(path: Path | str = DEFAULT_PARAMS) -> EvaluateParams:
    raw = read_yaml(Path(path)).get("evaluate")
    return _validate(EvaluateParams, raw, Path(path), ("evaluate",))


def load_answer(path: Path | str = DEFAULT_PARAMS) -> AnswerParams:
    raw = read_yaml(Path(path)).get("answer")
    return _validate(AnswerParams, raw, Path(path), ("answer",))


def load_schedule(path: Path | str = DEFAULT_PARAMS) -> ScheduleParams:
    raw = read_yaml(Path(path)).get("schedule")
    return _validate(ScheduleParams, raw, Path(path), ("schedule",))
