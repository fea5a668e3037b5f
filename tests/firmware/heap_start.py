# The heap the firmware holds after Pod.start() on simulated hardware: its modules, then
# the board file and the Pod. Measured in a fresh interpreter, before anything has
# imported podfw, so the modules are loaded (and counted) here.
import gc


def heap_after_start(board_path):
    """(bytes of the firmware modules, bytes of the board file + started Pod, the Pod)."""
    gc.collect()
    before_import = gc.mem_alloc()
    import podfw.board
    import podfw.gait.config  # noqa: F401  (board files are checked against its placements)
    import podfw.gait.engine  # noqa: F401
    import podfw.pod
    import podfw.sampling.scheduler  # noqa: F401

    gc.collect()
    modules = gc.mem_alloc() - before_import
    from sim_hw import SimHardware
    from sim_imu import SimLSM6DSO

    sim_board = podfw.board.load(board_path)
    hw = SimHardware(sim_board, "/tmp/")
    hw.i2c_bus.devices[sim_board.imu_address] = SimLSM6DSO(hw, "gaitmap_walk_left")
    gc.collect()
    before_pod = gc.mem_alloc()
    board = podfw.board.load(board_path)
    pod = podfw.pod.Pod(board, lambda s: None, hw)
    pod.start()
    gc.collect()
    return modules, gc.mem_alloc() - before_pod, pod
