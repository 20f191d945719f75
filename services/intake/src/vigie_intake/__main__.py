"""`python -m vigie_intake`: run the intake service."""

from vigie.platform.serve import serve
from vigie_intake.app import create_app
from vigie_intake.settings import IntakeSettings


def main() -> None:
    """Build the settings once, then serve."""
    settings = IntakeSettings().with_running_instance()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
