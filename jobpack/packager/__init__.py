"""Stage 2: manifest in, byte-reproducible archive out."""
