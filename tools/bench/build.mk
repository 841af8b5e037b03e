# tools/bench/ - camarena-bench and its baselines.
