"""mail_ingest package."""
