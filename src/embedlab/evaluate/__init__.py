"""The evaluate stage: comparisons, the learning curve, the report and the registry gate."""
