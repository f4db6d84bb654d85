"""The answer stage: the decision page for the grid as configured (reports/answer.{json,md})."""
