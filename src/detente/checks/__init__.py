"""Pre-flight checks of the services the test suite needs."""
