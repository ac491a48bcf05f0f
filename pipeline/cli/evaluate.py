"""`fastaed evaluate`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("evaluate", 4, "Score the test split with the student alone and write metrics and plots.")
