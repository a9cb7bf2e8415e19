"""Fault overlays: replay a recorded conversation with failures injected, without
re-recording, so an app's error handling runs against what the API would have done.

`Fault` / `parse_fault` name a fault (`failed@run_1`, `http429@run_1.submit_1`, ...;
`harness.faults.spec` documents the format), `each` lists the whole matrix of a
recording, and `FaultOverlay` serves a replay with faults in, handing over to the
emulator where the conversation leaves the recording.
"""

from harness.faults.overlay import EmulatorLink, FaultOverlay
from harness.faults.plan import each
from harness.faults.spec import NAMES, Fault, parse_fault

__all__ = ["NAMES", "EmulatorLink", "Fault", "FaultOverlay", "each", "parse_fault"]
