"""Agreement between independent replicas of one item's annotation, and their merge."""
