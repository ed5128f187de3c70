"""roi_extractors of mmseginst."""
