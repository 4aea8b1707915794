"""The strategies available, the registry of promoted versions, and promotion through the gates."""
