"""task_modules of mmseginst."""
