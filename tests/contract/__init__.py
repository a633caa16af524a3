"""Contract tests: fakehub's exchanges checked against GitHub's published API descriptions."""
