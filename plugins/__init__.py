"""intake's built-in source plugins.

Each module here is a plugin like any an adviser writes: it uses only
``intake.hookimpl`` and the data types. The core finds them by listing this
package (modules starting with ``_`` are helpers, not plugins).
"""
