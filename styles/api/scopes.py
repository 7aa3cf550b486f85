"""API key scopes the styles endpoints require."""

READ, WRITE, TRAIN = "styles:read", "styles:write", "finetunes:write"
