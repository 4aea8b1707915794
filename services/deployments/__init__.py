"""Deployments of promoted versions on paper accounts: create, list, start and stop in this process, halt."""
