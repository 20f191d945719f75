"""One module per `vigie` sub-command."""
