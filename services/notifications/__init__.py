"""``/notifications``: the caller's notifications, the channels they go to per severity, and where the outside
channels reach the caller. The notification worker (``quantdesk worker``) writes what these endpoints read."""
