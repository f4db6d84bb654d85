"""embedlab: which embedding strategy should a Keras review-sentiment classifier use?

The package holds plain, typed functions; Prefect wiring lives in the top-level
`flows` package. Nothing here has side effects at import time.
"""

__version__ = "0.1.0"
