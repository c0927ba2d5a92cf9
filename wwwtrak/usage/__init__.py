"""Usage: RADIUS accounting records imported into sessions, and the sessions read back.

Parsers (``detail``, ``radacct``, ``plaincsv``) turn text into records; the
importer applies them to stored sessions in batches, one transaction per file;
``sessions`` lists them by customer, login and month.
"""

from wwwtrak.usage.importer import COUNTS, FileResult, ImportResult, import_files, import_records, input_size
from wwwtrak.usage.sessions import list_sessions, unmatched

__all__ = ["COUNTS", "FileResult", "ImportResult", "import_files", "import_records", "input_size", "list_sessions", "unmatched"]
