"""What every domain of the API shares: the per-app context, the database and current-user dependencies,
errors and their handlers, middleware (body limit, catch-all, metrics) and the token and secret codecs."""
