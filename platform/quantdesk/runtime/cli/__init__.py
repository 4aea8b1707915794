"""The ``quantdesk`` command line."""
