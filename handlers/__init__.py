"""HTTP entry points: parse, verify, record, enqueue — nothing else."""
