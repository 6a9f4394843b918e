"""The reviewers' admin: the request list, the request page and its actions, the workflow's records.

``requests`` (list, page, claim and decision views), ``records`` (read-only history),
``rulesets`` (activation and shadow runs). The site, whose index shows the queues,
is review/admin_site.py.
"""

from review.admin import records, requests, rulesets  # noqa: F401  (registering is the import's purpose)
