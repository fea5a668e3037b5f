"""Developer tools for the pod firmware: build .mpy files, deploy with mpremote and
verify by hash, keep the mip package.json in step with the firmware tree."""
