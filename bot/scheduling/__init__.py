"""APScheduler wiring. The database is the truth; jobs are a cache rebuilt from it."""
