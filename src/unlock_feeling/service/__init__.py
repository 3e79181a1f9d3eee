"""HTTP service: persistent analysis jobs (SQLite), a worker pool, a JSON API and a web page."""
