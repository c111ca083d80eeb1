"""From metrics files to the paper's tables, the claims table and the feature-distribution statistics."""
