"""roi_heads of mmseginst."""
