"""Read-only open-data API: published samples, results, notices, venues and rounds."""
