"""`python -m vigie_reporting`: run the reporting service."""

from vigie.platform.serve import serve
from vigie_reporting.app import create_app
from vigie_reporting.settings import ReportingSettings


def main() -> None:
    """Build the settings once, then serve."""
    settings = ReportingSettings().with_running_instance()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
