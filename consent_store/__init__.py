"""consent_store package."""
