"""The teaching part of embedlab: what backprop does to an ``Embedding`` and what
Word2Vec adds, on a toy vocabulary (``explain``), printed by ``view`` and turned
into ``docs/embedding-math.md`` by ``docs_math``. The pipeline never imports it."""
