"""Case studies combining the lower layers; each returns plain data, never plots."""
