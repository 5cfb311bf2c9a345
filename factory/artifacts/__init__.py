"""What the stages write and the workflows read, a layer below both.

The compiled params (`params`), the model's predictions with the one function that makes
them for training and for scoring (`predictions`), the metrics computed on them (`metrics`),
the reference profile monitoring compares batches with (`profile`) and the model card
(`card`). Workflows (release, monitoring, governance, CI) import these, never
`factory.stages`: an import contract in pyproject.toml keeps it so.
"""
