"""mmseginst engine components."""
