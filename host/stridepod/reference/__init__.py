"""Float reference implementations of the firmware's gait algorithms (numpy), used to
cross-check the fixed-point code."""
