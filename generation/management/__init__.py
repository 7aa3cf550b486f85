"""Management commands of the generation app (see `commands`)."""
