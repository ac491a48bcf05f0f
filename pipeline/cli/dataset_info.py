"""`fastaed dataset-info`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("dataset-info", 2, "Recognise a dataset layout, validate it and print counts.")
