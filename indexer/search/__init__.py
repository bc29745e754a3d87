"""The search side: query -> ranked, highlighted hits, through Engine."""
