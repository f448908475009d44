"""Picture quality: students against classical baselines under webcam conditions, per CPU engine and load
policy, and against speed (the frontier)."""
