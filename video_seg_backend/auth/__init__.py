"""Accounts: passwords, tokens, who is asking, and what they may reach."""
