"""dense_heads of mmseginst."""
