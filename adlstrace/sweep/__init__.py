"""`adlstrace sweep`: find every failed activity in a time window and write one report per failure."""
