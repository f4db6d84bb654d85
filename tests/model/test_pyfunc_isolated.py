"""The registered pyfunc loads and predicts where ``embedlab`` is NOT importable.

A fresh Python process blocks ``embedlab`` on the import system, drops every
other way to reach the project's sources (the venv's editable-install finder,
PYTHONPATH, any sys.path entry holding ``embedlab_serving``), loads
``models:/review-sentiment/<v>`` from a real temporary MLflow store and predicts
raw text given as a DataFrame, a list of strings and a Series. It then proves
that ``embedlab_serving`` came from the model's own ``code/`` folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

ISOLATED = textwrap.dedent(r'''
    import importlib.abc, importlib.util, json, os, sys
    from pathlib import Path

    class BlockEmbedlab(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "embedlab" or name.startswith("embedlab.") or name == "flows":
                raise ModuleNotFoundError(f"blocked for this test: {name}", name=name)
            return None

    # The venv's editable install maps embedlab and embedlab_serving to the sources.
    sys.meta_path[:] = [f for f in sys.meta_path
                        if not getattr(f, "__module__", "").startswith("__editable__")]
    sys.path_hooks[:] = [h for h in sys.path_hooks
                         if not getattr(h, "__module__", "").startswith("__editable__")]
    sys.path[:] = [p for p in sys.path
                   if not (Path(p or ".") / "embedlab_serving").exists()
                   and not (Path(p or ".") / "embedlab").exists()]
    sys.path_importer_cache.clear()
    sys.meta_path.insert(0, BlockEmbedlab())
    assert importlib.util.find_spec("embedlab_serving") is None, "sources still reachable"
    try:
        import embedlab  # noqa: F401
        raise SystemExit("embedlab is importable: the test set-up is wrong")
    except ModuleNotFoundError:
        pass

    import mlflow.pyfunc
    import pandas as pd

    model = mlflow.pyfunc.load_model(os.environ["MODEL_URI"])
    reviews = ["delicious coffee, i love it", "stale awful chips, a waste"]
    frame = model.predict(pd.DataFrame({"text": reviews}))
    as_list = model.predict(reviews)
    as_series = model.predict(pd.Series(reviews))
    no_words = model.predict([None, "!"])
    import embedlab_serving
    print("RESULT " + json.dumps({
        "columns": list(frame.columns),
        "frame": frame.to_dict("list"),
        "list": as_list.to_dict("list"),
        "series": as_series.to_dict("list"),
        "no_words": no_words.to_dict("list"),
        "serving_file": embedlab_serving.__file__,
        "layers": [layer.name for layer in model.unwrap_python_model().model.layers],
        "embedlab_loaded": any(m == "embedlab" or m.startswith("embedlab.") for m in sys.modules),
    }))
''')


# "bigrams": a model with hashed word bigrams (train.ngrams: 2), which the served
# model must compute from raw text with embedlab_serving's code alone.
@pytest.fixture(params=["good", "bigrams"])
def registered(request, mlflow_store):
    import mlflow

    from embedlab.evaluate.registry import log_pyfunc

    from embedlab import tracking

    keras_path, vocab_path = (request.getfixturevalue("tiny_ngram_model") if request.param == "bigrams"
                              else request.getfixturevalue("tiny_models")["good"])
    # Artifacts under the temporary store's folder, not the working directory.
    _, experiment_id = tracking.setup(Path(mlflow_store.removeprefix("sqlite:///")).parents[1], "isolated")
    with mlflow.start_run(experiment_id=experiment_id):
        info = log_pyfunc(keras_path, vocab_path)
    version = mlflow.register_model(info.model_uri, "review-sentiment").version
    return f"models:/review-sentiment/{version}"


def test_pyfunc_predicts_without_embedlab_importable(registered, mlflow_store, tmp_path, request):
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(MODEL_URI=registered, MLFLOW_TRACKING_URI=mlflow_store)
    script = tmp_path / "isolated.py"
    script.write_text(ISOLATED)
    # -I: no PYTHONPATH, no user site, no script folder on sys.path.
    proc = subprocess.run([sys.executable, "-I", str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    out = json.loads(line.removeprefix("RESULT "))
    assert out["columns"] == ["probability", "label", "known_tokens"]
    assert out["frame"]["label"] == ["positive", "negative"]
    assert out["frame"]["probability"][0] > 0.5 > out["frame"]["probability"][1]
    assert out["list"] == out["frame"] and out["series"] == out["frame"]
    # The no-evidence answer is defined in the model's own code, not in embedlab.
    assert out["no_words"] == {"probability": [0.5, 0.5], "label": ["unknown", "unknown"],
                               "known_tokens": [0, 0]}
    assert not out["embedlab_loaded"]
    # The bigram model hashes its n-grams inside the loaded model; the words-only one has none.
    bigrams = request.node.callspec.params["registered"] == "bigrams"
    assert ("ngrams" in out["layers"]) == bigrams, out["layers"]
    serving = Path(os.path.realpath(out["serving_file"]))
    # Loaded from the model's own code/ folder in the store, not from any source tree.
    assert serving.parts[-3:] == ("code", "embedlab_serving", "__init__.py"), serving
    assert serving.is_relative_to(Path(mlflow_store.removeprefix("sqlite:///")).parent), serving
    assert not serving.is_relative_to(ROOT) and "src" not in serving.parts
