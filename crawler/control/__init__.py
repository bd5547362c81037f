"""The browser stage: control checks ("контрольные мероприятия") of channels and accessibility in Chromium."""
