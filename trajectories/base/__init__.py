"""Bottom layer: exception classes, argument checks, options and result types (imports only models)."""
