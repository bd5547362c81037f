"""Channel logic the step language cannot express: small functions a scenario calls by name
(`call: check_form_action`, `find: {call: feedback_form}`), one module per channel family.

Each function gets the run context (crawler/control/steps.py RunContext) and the step; it logs what it
did in Russian (ctx.log), stores measurements in ctx.vars / ctx.details, and ends the run with
`Verdict(works, reason)` when it can decide. Importing this package registers them all
(crawler/control/scenario.py CALLS, FINDERS).
"""
from crawler.control.channels import alt_version, contacts, forms, http, pages  # noqa: F401  (registration)
