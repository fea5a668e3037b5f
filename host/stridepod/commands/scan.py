"""`stridepod scan`: the stridepod pods in Bluetooth range."""

from __future__ import annotations

import asyncio
import dataclasses

import click

from stridepod.ble import PodNotFoundError, scan
from stridepod.commands import output


@click.command("scan", short_help="List the pods in Bluetooth range.")
@click.option("--timeout", type=click.FloatRange(0.5, 120), default=5.0, show_default=True,
              help="Seconds to listen for pods.")
@click.option("--json", "as_json", is_flag=True, help="Print the pods found as JSON.")
def command(timeout: float, as_json: bool) -> None:
    """List the pods advertising the stridepod service, strongest signal first. Use
    the address or name with `stridepod sync`."""
    pods = asyncio.run(scan(timeout))
    if as_json:
        output.emit_json([{k: v for k, v in dataclasses.asdict(p).items() if k != "device"}
                      for p in pods])
        return
    if not pods:
        raise PodNotFoundError("no stridepod pod in range (is it awake and charged?)")
    out = output.console()
    for pod in pods:
        out.print(f"{pod.address}  {pod.name or '(no name)'}  {pod.rssi} dBm")
