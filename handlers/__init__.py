"""HTTP entry points: parse the request, call one service, answer — nothing else."""
