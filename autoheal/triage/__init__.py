"""Triage: turn an autoheal issue into a verified draft fix PR, or a precise hand-off to Copilot or a human."""
