"""backbones of mmseginst."""
