"""The train stage: the grid of cells (strategy x architecture x seed x size) and the TF-IDF references."""
