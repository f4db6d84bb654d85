"""The prepared splits and vocabulary: the contract between the prepare stage,
which writes them, and every stage that reads them.

A split is a Parquet table: ``text`` (the raw review), ``label`` (int8, 1 =
positive), ``n_tokens`` (before truncation) and ``ids`` (int32, a fixed-size list
of ``max_len`` token ids padded with 0 at the end). ``vocab.json`` holds the
tokens (id = position), ``max_len``, ``truncate`` and the tokenizer version.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def split_schema(max_len: int) -> pa.Schema:
    return pa.schema([("text", pa.string()), ("label", pa.int8()), ("n_tokens", pa.int32()),
                      ("ids", pa.list_(pa.int32(), max_len))])


def read_split(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """(ids int32 (n, max_len), labels int8 (n,)) of a prepared split."""
    table = pq.read_table(path, columns=["ids", "label"])
    ids_col = table.column("ids").combine_chunks()
    width = ids_col.type.list_size
    ids = ids_col.values.to_numpy(zero_copy_only=False).astype(np.int32).reshape(-1, width)
    return ids, table.column("label").to_numpy().astype(np.int8)


def read_vocab(path: Path | str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
