"""The campaign engine: working tables, task execution, scheduling of ready activities, the reaper."""
