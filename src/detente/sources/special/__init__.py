"""Special loaders, one module per source that needs one; each registers with ``loaders.register``."""
