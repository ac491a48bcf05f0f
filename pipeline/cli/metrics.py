"""`fastaed metrics`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("metrics", 2, "Compute the field's metrics on any method's scores.")
