"""Cache tiers: each is a small Storage (see base.py); the local one is on the hit path."""
