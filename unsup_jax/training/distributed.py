"""Multi-process set-up through `jax.distributed`.

Each process runs the same program; the pmap axis spans every device of every
process and collectives cross hosts (on CPU through gloo). Data is sharded by
`jax.process_index()` in `data/iterators.py`.
"""

import jax

from unsup_jax.errors import UserError


def initialize(coordinator_address: str | None, num_processes: int | None,
               process_id: int | None) -> None:
  """Calls `jax.distributed.initialize` when a multi-process run is asked for.

  All three values must be given together (or none, for one process).
  """
  given = [v is not None for v in (coordinator_address, num_processes,
                                   process_id)]
  if not any(given):
    return
  if not all(given):
    raise UserError("a multi-process run needs --coordinator_address, "
                    "--num_processes and --process_id together")
  if num_processes < 1 or not 0 <= process_id < num_processes:
    raise UserError(f"--process_id must be in [0, {num_processes}) and "
                    f"--num_processes >= 1; got {process_id} of "
                    f"{num_processes}")
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(coordinator_address=coordinator_address,
                             num_processes=num_processes,
                             process_id=process_id)
