"""What removes data and what accounts for it: erasure (rule 2), retention (rule 10), the audit log, the
transparency report."""
