"""The harness's only doors into other libraries' private parts, one module per library.

Each module lists the hooks it needs (`missing_hooks()`), so a test fails loudly
when an installed version no longer has one, instead of replay quietly
sleeping again or recording nothing.
"""
