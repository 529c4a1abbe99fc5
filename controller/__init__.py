"""The qanat daemon: site config, clock, store, polling, jobs, sequencing, safety, CLI."""
