"""Notifiers: webhook, slack, pagerduty, email (:func:`build.build_integrations`)."""
