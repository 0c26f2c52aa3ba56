"""Launch schedules: typed rules, their occurrences in a time zone, and the tick that fires them."""
