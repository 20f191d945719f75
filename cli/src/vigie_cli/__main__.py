"""`python -m vigie_cli …` is `vigie …`."""

from vigie_cli.main import main

main()
