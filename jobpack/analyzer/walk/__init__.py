"""The walk: from entry points through local and installed code, the way the interpreter
imports, into an `ImportGraph`.

`finder` locates a module name on the search path, `stdlib` tells the target's standard
library, and `walker.Walker` follows imports over two seams: facts per file and the
analysed environment.
"""
