"""Market data: the Parquet catalog, sources, validation and cleaning, calendars and synthetic bars."""
