"""Front end: the command line, TOML configs, the registry of named models and states, plotting, experiment scripts."""
