"""The browser stage: control checks ("контрольные мероприятия") of channels and accessibility in Chromium.

The channel families register their scenario calls and finders when imported: importing them here means a
scenario file is validated against all of them whichever module of the stage is imported first."""
from crawler.control import channels  # noqa: F401  (registers CALLS and FINDERS)
