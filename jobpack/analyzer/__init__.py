"""Stage 1: static import analysis. Entry points in, manifest and import graph out."""
