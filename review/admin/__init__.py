"""The reviewers' admin: the request list, the request page and its actions, the workflow's records.

``requests`` (list, page, claim and decision views), ``records`` (read-only history),
``rulesets`` (activation and shadow runs), ``appeals`` (affected users' appeals, in a queue of their own).
The site, whose index shows the queues, is review/admin_site.py.
"""

from review.admin import appeals, records, requests, rulesets  # noqa: F401  (registering is the import's purpose)
