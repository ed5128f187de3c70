"""necks of mmseginst."""
