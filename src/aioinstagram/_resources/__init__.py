"""One module per endpoint group; each resource is a thin layer over the transport."""
