"""Facts: what one source file says, read without running it.

`parser.parse_file` turns a file's bytes into a `model.FileFacts` (its imports with their
scope and conditions, `sys.path` changes, notes) through the `ast` fast path
(`parse_ast`) or the libcst fallback (`parse_cst`) for syntax newer than this interpreter.
`cache` keeps facts per file content and target; `workers` parses on several processes.
"""
