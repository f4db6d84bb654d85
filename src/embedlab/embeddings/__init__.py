"""The embeddings stage: vector sources aligned to the vocabulary, one matrix per variant."""
