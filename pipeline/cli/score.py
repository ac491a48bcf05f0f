"""`fastaed score`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("score", 4, "Score a video file, frame folder or camera stream.")
