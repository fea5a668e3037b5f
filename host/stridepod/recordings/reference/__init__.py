"""Float references (numpy) of the pod's gait algorithms, used to cross-check the
fixed-point firmware: `imu` (step detectors), `pressure` (insole contacts) and `engine`
(fusion and window summaries, same output as `stridepod.recordings.replay`)."""
