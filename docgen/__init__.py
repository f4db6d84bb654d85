"""The documents' generated text: every measured figure in README.md and docs/.

    python -m docgen                   # rewrite every generated block from the working tree
    python -m docgen --check           # name the stale blocks and exit 1
    python -m docgen embedding-math    # rewrite docs/embedding-math.md from its template

docgen/generate.py finds the marker pairs and renders them; docgen/blocks/ holds
one module per document, one function per block. `benchmarks/` measures and
writes the results files this package reads; nothing here measures.
"""
