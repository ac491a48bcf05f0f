"""`fastaed benchmark-fps`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("benchmark-fps", 5, "Measure the student's speed.")
