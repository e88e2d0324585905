"""Seal authorisation (PRODUCT.md §3): grants, use requests with their approvals, and auto-sign.

Every stamp is allowed by exactly one authorisation, named by
``chop.orgs.permissions.may_stamp``: a grant (用印授权) to members or roles, an approved use
request (用印申请) for one contract, an auto-sign authorisation (静默签) for the platform, or the
signer's own personal seal. This app keeps the rows those decisions read and the pages that
manage them; the decision itself lives in the permissions module.
"""
