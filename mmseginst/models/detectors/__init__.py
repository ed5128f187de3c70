"""detectors of mmseginst."""
