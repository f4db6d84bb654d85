"""The generated blocks by name: each block module registers its functions here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    name: str
    sources: tuple[str, ...]
    render: Callable[..., str]


BLOCKS: dict[str, Block] = {}


def block(name: str, *sources: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register `fn(*loaded sources) -> Markdown` as the block `name`."""
    def register(fn: Callable[..., str]) -> Callable[..., str]:
        if name in BLOCKS:
            raise ValueError(f"generated block {name!r} is defined twice")
        BLOCKS[name] = Block(name, tuple(sources), fn)
        return fn
    return register
