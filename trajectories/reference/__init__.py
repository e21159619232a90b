"""Exact references behind exact_evolution: 2^N, sector-reduced and d^N Lindblad evolution."""
