// placeholder: filled by the planner work
