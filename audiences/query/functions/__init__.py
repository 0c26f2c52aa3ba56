"""The function library: one module per family, all registered in ``registry`` on import.

``lookup(name)`` finds a function (names are case-insensitive); ``REGISTRY`` and ``LEFT_OUT`` feed the
generated docs (``docs/functions.md``, ``manage.py functions_doc``) and, later, the editor's palette.
"""

from audiences.query.functions import aggregate, date, geo, numeric, other, string, window  # noqa: F401
from audiences.query.functions.registry import LEFT_OUT, REGISTRY, Family, FunctionSpec, lookup

__all__ = ["LEFT_OUT", "REGISTRY", "Family", "FunctionSpec", "lookup"]
