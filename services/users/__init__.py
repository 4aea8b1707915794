"""The caller's account, risk profile and broker credentials; user administration for admins."""
