"""`factory serve`: the released models of chosen use cases behind one HTTP service.

Models are loaded from their release tags and the DVC remote with the checks `factory score`
makes, swapped without a restart when a stage moves, and the rows they score can be captured
as Parquet batches that `factory monitor` reads.
"""
