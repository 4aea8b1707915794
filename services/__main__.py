"""``python -m services``: serve the API with uvicorn on QUANTDESK_API_HOST:QUANTDESK_API_PORT."""

from __future__ import annotations

import uvicorn

from quantdesk.config import load_settings


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        "services.app:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
