"""The demo data (`seed_demo`) and the benchmarks (`bench`). Nothing imports this app but its own
management commands and tests: it stands above every other app."""
