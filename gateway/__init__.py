"""Tact's gateway: everything that touches the world (SMTP, parsing, storage, CLI)."""
