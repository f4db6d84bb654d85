"""Code shipped inside the registered MLflow model.

Everything under this package is copied into the model (``code_paths``) so that
``mlflow.pyfunc.load_model("models:/review-sentiment@champion")`` works in a
process where ``embedlab`` is not installed. Keep it dependency-light: standard
library, numpy, pandas, keras, mlflow.
"""
