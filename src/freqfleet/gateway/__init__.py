"""The fleet's shared market-data gateway: one cache, one weight budget for every bot."""
