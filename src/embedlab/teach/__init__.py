"""The teaching part of embedlab: what backprop does to an ``Embedding`` and what
Word2Vec adds, on a toy vocabulary (``explain``), printed by ``view``, and how far
fine-tuning moved the real grid's tables (``drift``); ``python -m docgen
embedding-math`` turns both into ``docs/embedding-math.md``. The pipeline never imports it."""
