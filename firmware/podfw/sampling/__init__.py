# Sampling: preallocated rings between interrupt context and tasks, and the scheduler.
