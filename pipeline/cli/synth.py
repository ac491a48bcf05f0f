"""`fastaed synth`: not built yet."""
from pipeline.cli.not_built import not_built

command = not_built("synth", 2, "Write the synthetic dataset in the re-packed Ped2 layout.")
