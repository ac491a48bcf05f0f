"""`fastaed precompute-teachers`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("precompute-teachers", 3, "Detect objects, fit the teachers and write one HDF5 shard per video.")
