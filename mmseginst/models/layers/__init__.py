"""layers of mmseginst."""
