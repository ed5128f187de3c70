"""mmseginst evaluation components."""
