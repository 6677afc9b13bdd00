"""A method's phases laid out over the step counter, and its streams' batches.

`schedule(method)` gives each phase its absolute step range (a whole-data
hook stands at one step); where each stream stands is a function of the step
(`positions_at`): a step phase consumes one batch of each of its streams per
step. `Feeder` gathers a phase's batches by position and places them;
`next_stop` is the next step at which the loop must look up from
dispatching.
"""

import dataclasses
from typing import Any

import jax
import numpy as np

from unsup_jax.training.contract import Hook, Method, Phase


@dataclasses.dataclass(frozen=True)
class Item:
  """One entry of the schedule: a phase over steps (start, end], or a hook
  standing at step `start` (== end)."""
  index: int
  start: int
  end: int
  phase: Phase | None = None
  hook: Hook | None = None


def schedule(method: Method) -> list[Item]:
  """The method's phases with their absolute step ranges."""
  items, step = [], 0
  for i, p in enumerate(method.phases):
    if isinstance(p, Phase):
      items.append(Item(i, step, step + p.num_steps, phase=p))
      step += p.num_steps
    elif isinstance(p, Hook):
      items.append(Item(i, step, step, hook=p))
    else:
      raise TypeError(f"a method's phases are Phase or Hook, got {p!r}")
  return items


def stream_names(streams) -> tuple[str, ...]:
  return (streams,) if isinstance(streams, str) else tuple(streams)


def positions_at(items: list[Item], step: int) -> dict[str, int]:
  """Each stream's position (batches drawn) after `step` steps."""
  positions = {}
  for item in items:
    if item.phase is None:
      continue
    done = min(max(step - item.start, 0), item.end - item.start)
    for name in stream_names(item.phase.streams):
      positions[name] = positions.get(name, 0) + done
  return positions


class Feeder:
  """Gathers a phase's batches by position from its streams' iterators."""

  def __init__(self, iterators: dict, streams, placement):
    self.iterators, self.streams, self.placement = iterators, streams, placement

  def host_batch(self, positions: dict) -> Any:
    if isinstance(self.streams, str):
      return self.iterators[self.streams].batch_at(positions[self.streams])
    return {n: self.iterators[n].batch_at(positions[n]) for n in self.streams}

  def batches(self, positions: dict, k: int) -> Any:
    """k consecutive batches from `positions`, placed (stacked when k > 1)."""
    if k == 1:
      return self.placement.put_batch(self.host_batch(positions))
    names = stream_names(self.streams)
    steps = [self.host_batch({n: positions[n] + i for n in names})
             for i in range(k)]
    stacked = jax.tree.map(lambda *xs: np.stack(xs), *steps)
    return self.placement.put_batch(stacked, stacked=True)


def next_stop(config, step: int, item: Item, total: int, budget) -> int:
  """The next step after `step` at which the loop must look up (log, quick
  evaluation, checkpoint, periodic hook, end of phase, end of budget)."""
  t = config.train
  nxt = [item.end, total]
  for every in (t.log_every, t.checkpoint_every, t.eval_every):
    if every:
      nxt.append((step // every + 1) * every)
  p = item.phase
  if p.hook is not None and p.every:
    nxt.append(item.start + ((step - item.start) // p.every + 1) * p.every)
  if budget.steps is not None:
    nxt.append(step + max(budget.steps, 1))
  return min(nxt)
