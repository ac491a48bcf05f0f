"""`fastaed train-student`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("train-student", 4, "Train the student from shards alone.")
