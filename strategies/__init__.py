"""Trading strategies, one module each: pure code on bar frames, no I/O (see quantdesk.strategy)."""
