"""mmseginst visualization components."""
