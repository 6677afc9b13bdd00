"""N2D and IIC as methods: the UMAP path is a pure function of its seed,
test images take their neighbours' cluster, the hook's assignments are the
manifold fit's, IIC's step lowers the loss it reports, pmap = jit for both
steps, resume is exact, config errors. Tiny networks on 8x8 digits."""

import chex
import jax
import numpy as np
import pytest

from tests.helpers import build, load_config, pmap_and_jit_states, \
    assert_resumes_exactly
from unsup_jax import configs
from unsup_jax.errors import UserError
from unsup_jax.losses import clustering as cluster_losses
from unsup_jax.methods.clustering import iic, manifold, n2d
from unsup_jax.training.contract import Hook, step_phases


def _tiny(name):
  config = load_config(name)
  config.train.parallel = "jit"
  config.data.name = "digits"
  config.data.batch_size = 32
  if name == "n2d_mnist":
    config.autoencoder.update(encoder_hidden=(16,), decoder_hidden=(16,),
                              latent_dim=4)
    config.n2d.update(num_clusters=5, umap_dims=2)
  else:
    config.iic.update(hidden=(16,), num_clusters=5, overclusters=8)
  return config


def _digits(n=300):
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  d = load_digits()
  return d.data[:n] / 16.0, d.target[:n]


def test_the_umap_path_is_a_pure_function_of_its_seed():
  x, _ = _digits()
  fit = lambda seed: manifold.umap_gmm(x, num_clusters=5, dims=2,
                                       neighbors=10, min_dist=0.0, seed=seed)
  a, b, other = fit(3), fit(3), fit(4)
  np.testing.assert_array_equal(a.embedding, b.embedding)
  np.testing.assert_array_equal(a.clusters, b.clusters)
  np.testing.assert_array_equal(a.means, b.means)
  assert not np.array_equal(a.embedding, other.embedding)
  np.testing.assert_allclose(a.probabilities.sum(1), 1.0, rtol=1e-9)
  np.testing.assert_array_equal(a.clusters, a.probabilities.argmax(1))


def test_manifold_clustering_separates_digits_better_than_chance():
  x, y = _digits()
  fit = manifold.umap_gmm(x, num_clusters=10, dims=5, neighbors=10,
                          min_dist=0.0, seed=0)
  from unsup_jax.eval import clustering as cluster_eval  # pylint: disable=g-import-not-at-top
  assert cluster_eval.accuracy(fit.clusters, y) > 0.7


def test_test_points_take_their_neighbours_majority_cluster():
  rng = np.random.default_rng(0)
  train, clusters = rng.normal(size=(60, 3)), rng.integers(0, 4, 60)
  test = rng.normal(size=(25, 3))
  got = manifold.assign_by_neighbours(train, clusters, test, k=5,
                                      num_clusters=4)
  for point, cluster in zip(test, got):
    order = np.argsort(np.sum((train - point) ** 2, axis=1))[:5]
    votes = np.bincount(clusters[order], minlength=4)
    winners = np.flatnonzero(votes == votes.max())
    # Ties go to the cluster of the nearest neighbour among the winners.
    expected = next(clusters[i] for i in order if clusters[i] in winners)
    assert cluster == expected
  # A training point itself, with k = 1, keeps its own cluster.
  np.testing.assert_array_equal(manifold.assign_by_neighbours(
      train, clusters, train, k=1, num_clusters=4), clusters)


def test_the_n2d_hook_keeps_the_manifold_fit_of_the_codes():
  config = _tiny("n2d_mnist")
  method, data = build(config)
  batch = data.iterator("train").batch_at(0)
  state = jax.device_get(method.init(jax.random.key(0), batch))
  hook = method.phases[1]
  assert isinstance(hook, Hook) and hook.name == "n2d"
  key = jax.random.key(7)
  after = hook.fn(state, data.view, key)
  model = n2d.ae_models.from_config(config.autoencoder,
                                    data.spec().image_shape)
  # The codes as the hook computes them (UMAP's optimisation is chaotic:
  # codes that differ in the last bit embed differently).
  codes = n2d.deep.encode_all(n2d.deep_embedding(model), state.params,
                              data.view.split("train")["image"],
                              config.eval.batch_size)
  n = config.n2d
  fit = manifold.umap_gmm(codes, num_clusters=5, dims=2,
                          neighbors=n.umap_neighbors,
                          min_dist=n.umap_min_dist, seed=n2d.seed_of(key))
  np.testing.assert_array_equal(after.extra["assignments"], fit.clusters)
  np.testing.assert_allclose(after.extra["embedding"], fit.embedding,
                             rtol=1e-6)
  metrics, _ = method.evaluate(after, data.view, key, full=False)
  assert 0.0 < metrics["train_acc"] <= 1.0 and 0.0 < metrics["acc"] <= 1.0


@pytest.mark.parametrize("name,policy", [("n2d_mnist", "translation"),
                                         ("iic_mnist", "translation,affine")])
def test_pmap_steps_equal_jit_steps(name, policy):
  config = _tiny(name)
  if name == "n2d_mnist":
    config.n2d.augment = policy
  else:
    config.iic.augment = policy
    # SGD: updates in proportion to the gradients. Adam would move every
    # parameter by a whole step, also where IIC's gradient at the start is
    # rounding noise (the over-clustering biases).
    config.optim.update(name="sgd", learning_rate=0.1)
  method, data = build(config)
  it = data.iterator("train")
  batches = [it.batch_at(i) for i in range(2)]
  state = jax.device_get(method.init(jax.random.key(0), batches[0]))
  a, b = pmap_and_jit_states(step_phases(method)[0].step, state, batches,
                             metric_atol=1e-4)
  chex.assert_trees_all_close(a.params, b.params, rtol=1e-4, atol=1e-5)


def test_the_iic_step_reports_its_loss_on_the_views_it_draws():
  config = _tiny("iic_mnist")
  c = config.iic
  method, data = build(config)
  batch = data.iterator("train").batch_at(0)
  state = jax.device_get(method.init(jax.random.key(0), batch))
  # Confident heads, so that the information is far from 0.
  sharpen = lambda path, p: p * 30.0 if path[0].key in ("main", "over") else p
  state = state.replace(params=jax.tree_util.tree_map_with_path(
      sharpen, state.params))
  model = iic.make_model(c)
  first, second = iic.views(jax.random.fold_in(state.key, state.step),
                            batch["image"], c=c)
  chex.assert_shape(first, (32 * c.repeats, 8, 8, 1))
  np.testing.assert_array_equal(first[:c.repeats],
                                np.repeat(batch["image"][:1], c.repeats, 0))
  # The loss, recomputed from the network's outputs head by head.
  main_1, over_1 = model.apply({"params": state.params}, first)
  main_2, over_2 = model.apply({"params": state.params}, second)
  expected = np.mean([cluster_losses.iic_loss(
      jax.nn.softmax(a[:, h]), jax.nn.softmax(b[:, h]), eps=c.eps)[0]
                      for a, b in ((main_1, main_2), (over_1, over_2))
                      for h in range(c.num_heads)]) * 2
  assert expected < -0.01
  _, metrics = jax.jit(step_phases(method)[0].step)(state, batch)
  np.testing.assert_allclose(metrics["loss"], expected, rtol=1e-4)


def test_iic_resumes_exactly_and_selects_a_head_without_labels(tmp_path):
  config = _tiny("iic_mnist")
  config.train.update(num_steps=4, checkpoint_every=2)
  results, _ = assert_resumes_exactly(config, tmp_path, stop_after=2)
  assert 0 <= results["test_selected_head"] < config.iic.num_heads


@pytest.mark.parametrize("field,value,message", [
    ("augment", "", "needs two different views"),
    ("overclusters", 3, "must be at least config.iic.num_clusters"),
])
def test_bad_iic_settings_are_one_line_user_errors(field, value, message):
  config = _tiny("iic_mnist")
  config.iic[field] = value
  with pytest.raises(UserError, match=message) as err:
    configs.validate(config)
  assert "\n" not in str(err.value)
