"""`python -m vigie_aggregator`: run the aggregator service."""

from vigie.platform.serve import serve
from vigie_aggregator.app import create_app
from vigie_aggregator.settings import AggregatorSettings


def main() -> None:
    """Build the settings once, then serve."""
    settings = AggregatorSettings().with_running_instance()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
