"""Run storage: the plan of a run, its journal, locks, the state store and atomically written files."""
