"""Stage 1, landing: capture batches from the raw root (a folder or S3), read with bounded decompression, into the
private zone; device shards when scaled out."""
