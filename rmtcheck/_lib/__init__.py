"""Private helpers shared by every layer: argument validation, BLAS threads, JSON conversion, pair kernels.

Nothing here knows about stability, random matrices or studies; everything else may import it.
"""
