"""The build side: files -> passages -> segments of a new generation."""
