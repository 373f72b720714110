"""Finding, identifying (by fingerprint) and reading log files, with rotation, truncation
and deletion handled: the engine of the filelog receiver (the Collector's
pkg/stanza/fileconsumer). Everything here blocks; callers run it in a worker thread."""
