"""`python -m vigie_alerts`: run the alerts service."""

from vigie.platform.serve import serve
from vigie_alerts.app import create_app
from vigie_alerts.settings import AlertsSettings


def main() -> None:
    """Build the settings once, then serve."""
    settings = AlertsSettings().with_running_instance()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
