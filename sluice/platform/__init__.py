"""What every stage stands on: errors, the home's layout, settings, keys, encrypted DuckDB, S3 and its buckets'
security, versions, what may reach the control plane."""
