"""One module per document: the functions that write its generated blocks.

Each module names its document (`DOCUMENT`) and registers its blocks with
`@block("<name>", "<source>", ...)` (docgen/registry.py); importing this package
registers them all. docs/embedding-math.md is filled from a template instead
(docgen/blocks/embedding_math.py: `python -m docgen embedding-math`).
"""

from docgen.blocks import (answer, benchmarks, benchmarks_accuracy, benchmarks_training, data,  # noqa: F401
                           embeddings, grid, readme, results, scaling, serving)

MODULES = (answer, benchmarks, benchmarks_accuracy, benchmarks_training, data, embeddings, grid, readme,
           results, scaling, serving)
