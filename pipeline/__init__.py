"""fastaed's file-facing half: dataset readers, shards, precomputation, evaluation and the CLI."""
