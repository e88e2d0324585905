"""Records and evidence (PRODUCT.md §5): the stamping-records log that proves itself
(``chop.ledger`` underneath), monitoring and export of seal use, evidence reports, and the public
verification page. It reads what the contracts app wrote (``contracts.StampRecord``, the acts and
versions) and writes nothing back into it.
"""
