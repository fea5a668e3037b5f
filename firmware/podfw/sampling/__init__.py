# Sampling: preallocated rings between the timer callback and the processing task, the
# pressure scan schedule and the asyncio scheduler.
