"""Stage 7, write-audit-publish: the training zone's files and markers, the analytics file, the S3 export, and the
day's figures and privacy report."""
