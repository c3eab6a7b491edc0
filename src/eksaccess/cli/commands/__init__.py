"""One module per CLI verb, loaded lazily by cli.main."""
