"""The prepare stage: a data source -> tokenized train/val/test splits and the vocabulary."""
