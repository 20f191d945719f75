"""The demo feed: fictional landlords posting realistic incidents through intake."""
