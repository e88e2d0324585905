"""One lock for every use of pdfium (pypdfium2) in the process.

pdfium is not thread-safe: two threads inside it at once, even on different documents, can crash
the whole process (pypdfium2's documentation says so, and twenty signing acts committing at once,
each rendering its new version's previews in its own thread, did segfault a test run). The web
server and the task worker run requests and tasks in threads, so every call path that opens,
reads, renders or closes a pdfium document holds this lock for the whole of it. It is re-entrant
(a guarded function may call another), and plain Python, so the engines may use it too.
"""

from __future__ import annotations

import threading

PDFIUM = threading.RLock()

__all__ = ["PDFIUM"]
