"""The scrapers of the hostmetrics receiver; each module imports psutil, so only the
receiver (created, not configured) imports them."""
