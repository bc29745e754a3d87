"""Keep the index in step with its source folder: watch it (inotify, else
polling), debounce bursts of changes, and build in a child process, retrying
with backoff. `loop.Watcher` runs it; `state` is what it tells the others."""
