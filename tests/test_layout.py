"""The house plan, read from the code: no import circle in `unsup_jax/`,
imports only run down the layers, methods found by name in their family
folders, short functions in `methods/`, configs that validate without JAX."""

import ast
import collections
import os
import pkgutil
import subprocess
import sys

from tests.helpers import EXPERIMENTS, ROOT
from unsup_jax import configs
from unsup_jax.configs import base
from unsup_jax.methods import registry

PACKAGE = os.path.join(ROOT, "unsup_jax")
# Lowest first: a module may import its own layer and the layers before it.
LAYERS = ("errors", "configs", "ops", "losses", "nn", "data", "models", "eval",
          "viz", "training", "methods", "api", "")
MAX_METHOD_FUNCTION_LINES = 60


def _modules() -> dict[str, str]:
  """`{dotted name: path}` of every module of the package."""
  out = {}
  for folder, _, names in os.walk(PACKAGE):
    for name in names:
      if name.endswith(".py"):
        path = os.path.join(folder, name)
        dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
        out[dotted.removesuffix(".__init__")] = path
  return out


def import_graph(modules: dict[str, str]) -> dict[str, set[str]]:
  """Module -> the package's modules it imports, at any depth of its code
  (imports inside functions count: they close circles too)."""
  graph = {}
  for name, path in modules.items():
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
      if isinstance(node, ast.Import):
        found.update(a.name for a in node.names)
      elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for a in node.names:
          full = f"{node.module}.{a.name}"
          found.add(full if full in modules else node.module)
    graph[name] = {m for m in found if m in modules and m != name}
  return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
  """The strongly connected components of more than one module (Tarjan)."""
  index, low, stack, on_stack, out = {}, {}, [], set(), []

  def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in graph[v]:
      if w not in index:
        visit(w)
        low[v] = min(low[v], low[w])
      elif w in on_stack:
        low[v] = min(low[v], index[w])
    if low[v] == index[v]:
      component = []
      while True:
        w = stack.pop()
        on_stack.discard(w)
        component.append(w)
        if w == v:
          break
      if len(component) > 1:
        out.append(sorted(component))

  for v in sorted(graph):
    if v not in index:
      visit(v)
  return out


def test_circles_finds_a_planted_circle_and_nothing_else():
  graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
  assert circles(graph) == [["a", "b", "c"]]
  assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_package():
  assert circles(import_graph(_modules())) == []


def _layer(module: str) -> str:
  parts = module.split(".")
  return parts[1] if len(parts) > 1 else ""


def test_imports_only_run_down_the_layers():
  """The engine (training) never imports methods; nothing below the
  methods imports them; the maths imports no engine."""
  graph = import_graph(_modules())
  upward = sorted(f"{m} -> {t}" for m, targets in graph.items()
                  for t in targets
                  if LAYERS.index(_layer(t)) > LAYERS.index(_layer(m)))
  assert upward == []


def test_every_method_is_found_by_name_in_one_family_folder():
  """Each name with a config section (`configs.method_names()`) is a module
  `methods/FAMILY/NAME.py` with a `build`, and each family module with a
  `build` is a method: nothing to list by hand."""
  found = registry.family_modules()
  names = configs.method_names()
  assert len(names) >= 24
  for name in names:
    assert found[name].startswith("unsup_jax.methods."), name
  families = {f.name for f in pkgutil.iter_modules(
      [os.path.join(PACKAGE, "methods")]) if f.ispkg}
  assert {"compression", "vae", "disentanglement", "discrete", "adversarial",
          "sequences", "text", "clustering", "semi_supervised"} <= families
  for name, dotted in found.items():
    text = open(os.path.join(ROOT, *dotted.split(".")) + ".py").read()
    assert ("\ndef build(" in text) == (name in names), name


def test_no_function_in_methods_is_long():
  lengths = []
  for folder, _, files in os.walk(os.path.join(PACKAGE, "methods")):
    for name in files:
      if name.endswith(".py"):
        path = os.path.join(folder, name)
        for node in ast.walk(ast.parse(open(path).read())):
          if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lengths.append((node.end_lineno - node.lineno + 1,
                            f"{os.path.relpath(path, ROOT)}:{node.name}"))
  longest = max(lengths)
  assert longest[0] <= MAX_METHOD_FUNCTION_LINES, longest


def test_no_class_in_methods_holds_steps():
  """Classes in `methods/` are records (NamedTuples of networks and
  settings), never bundles of steps, hooks, evaluation and figures."""
  for folder, _, files in os.walk(os.path.join(PACKAGE, "methods")):
    for name in files:
      if name.endswith(".py"):
        path = os.path.join(folder, name)
        for node in ast.walk(ast.parse(open(path).read())):
          if isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases]
            assert bases == ["NamedTuple"], (path, node.name, bases)


def test_validating_every_experiment_imports_no_jax():
  code = ("import sys, importlib.util\n"
          "from unsup_jax import configs\n"
          "for f in sys.argv[1:]:\n"
          "  spec = importlib.util.spec_from_file_location('e', f)\n"
          "  m = importlib.util.module_from_spec(spec)\n"
          "  spec.loader.exec_module(m)\n"
          "  configs.validate(m.get_config())\n"
          "  configs.validate(m.get_config('smoke'))\n"
          "print(sorted({k.split('.')[0] for k in sys.modules} & "
          "{'jax', 'flax', 'optax', 'tensorflow', 'orbax'}))")
  paths = [os.path.join(ROOT, "experiments", f"{n}.py") for n in EXPERIMENTS]
  out = subprocess.run([sys.executable, "-c", code, *paths], cwd=ROOT,
                       capture_output=True, text=True, check=True)
  assert out.stdout.strip() == "[]", out.stdout


def test_the_configs_know_every_augmentation_of_the_maths():
  from unsup_jax.ops import augment  # pylint: disable=g-import-not-at-top
  assert tuple(augment.POLICIES) == base.AUGMENTATIONS


def test_the_layers_cover_every_folder():
  layers = collections.Counter(_layer(m) for m in _modules())
  assert set(layers) <= set(LAYERS), set(layers) - set(LAYERS)
