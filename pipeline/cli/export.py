"""`fastaed export`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("export", 5, "Export the student to ONNX.")
