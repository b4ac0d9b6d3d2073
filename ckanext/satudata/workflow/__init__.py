"""The dataset workflow: the states and transitions table, applying a
transition, SDI roles, permission labels, tasks and the dataset notices."""
