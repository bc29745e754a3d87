"""The index folder on disk: generations, their metadata, the watcher's state, status."""
