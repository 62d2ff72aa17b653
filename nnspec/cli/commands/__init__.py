"""One module per `nnspec` command; each exposes a click command named `command`."""
