"""`python -m vigie_intake`: run the intake service."""

import gc

from vigie.serve import serve
from vigie_intake.app import create_app
from vigie_intake.settings import IntakeSettings

# Each request allocates a few hundred short-lived objects; with the default threshold (700)
# the collector ran every few requests and took about a tenth of the single-event path's CPU.
_GC_GEN0_THRESHOLD = 50_000


def main() -> None:
    """Build the settings once, then serve."""
    settings = IntakeSettings().with_running_instance()
    app = create_app(settings)
    # Modules, schemas and the app live as long as the process: keep them out of the
    # collector's scans (a full collection over them took ~50 ms, a p99 spike).
    gc.freeze()
    gc.set_threshold(_GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])
    serve(app, settings)


if __name__ == "__main__":
    main()
