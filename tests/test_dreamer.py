"""Dreamer's pieces as a user imports them: slices of trajectories, the RSSM, the KL with free nats, imagination as an
environment, the three losses and one short training run (also from the `torchrl-lit` console script)."""
import subprocess

import pytest
import torch
import torch.distributions as D

from torchrl_lit.data.specs import Bounded
from torchrl_lit.data.tensordict import TensorDict
from torchrl_lit.data.replay_buffers import TensorDictReplayBuffer, LazyTensorStorage, SliceSampler
from torchrl_lit.envs import DreamerEnv, check_env_specs
from torchrl_lit.modules import make_world_model, LatentMLP, DreamerActor, TensorDictModule, ProbabilisticActor, TanhNormal, ValueOperator
from torchrl_lit.objectives import DreamerModelLoss, DreamerActorLoss, DreamerValueLoss, gaussian_kl

S, H, F, A, B, T = 6, 12, 5, 1, 3, 8
ACTION = Bounded(-1., 1., (A,))


def slices(b=B, t=T):
    return TensorDict({"observation": torch.randn(b, t, F), "action": torch.rand(b, t, A) * 2 - 1,
                       "next": TensorDict({"observation": torch.randn(b, t, F), "reward": torch.rand(b, t, 1),
                                           "terminated": torch.zeros(b, t, 1, dtype=torch.bool)}, [b, t])}, [b, t])


@pytest.fixture
def models():
    torch.manual_seed(0)
    wm = make_world_model(F, ACTION, state_dim=S, rnn_hidden_dim=H, hidden_dim=16, embedding_dim=8)
    actor = ProbabilisticActor(TensorDictModule(DreamerActor(A, S + H, num_cells=16), ["state", "belief"], ["loc", "scale"]),
                               ["loc", "scale"], spec=ACTION, distribution_class=TanhNormal)
    value = ValueOperator(LatentMLP(1, S + H, num_cells=16), ["state", "belief"])
    return wm, actor, value


def test_slices_of_many_short_episodes_stay_inside_one_episode():
    torch.manual_seed(1)
    lengths = torch.randint(1, 9, (500,)).tolist()
    ids = torch.cat([torch.full((n,), i) for i, n in enumerate(lengths)])
    step = torch.cat([torch.arange(n) for n in lengths])
    done = torch.cat([torch.arange(n) == n - 1 for n in lengths])[:, None]
    data = TensorDict({"episode": ids, "step": step, "next": TensorDict({"done": done}, [len(ids)])}, [len(ids)])
    for sampler in (SliceSampler(slice_len=4), SliceSampler(slice_len=4, traj_key="episode")):
        rb = TensorDictReplayBuffer(storage=LazyTensorStorage(len(ids) - 7), sampler=sampler)  # wraps around: the cursor cuts too
        rb.extend(data)
        batch = rb.sample(400 * 4).reshape(400, 4)
        assert (batch["episode"] == batch["episode"][:, :1]).all()
        assert (batch["step"].diff(dim=-1) == 1).all()
        assert not batch["next", "done"][:, :-1].any()
        assert all(lengths[e] >= 4 for e in batch["episode"][:, 0].tolist())  # a short tail is dropped


def test_rssm_shapes_through_the_world_model(models):
    wm, _, _ = models
    batch = wm(slices())
    for key, shape in {("next", "state"): (B, T, S), ("next", "belief"): (B, T, H), ("next", "prior_mean"): (B, T, S),
                       ("next", "posterior_std"): (B, T, S), ("next", "reco_observation"): (B, T, F), ("next", "reward_pred"): (B, T, 1),
                       ("next", "continue_logit"): (B, T, 1), "state": (B, T, S), "belief": (B, T, H)}.items():
        assert batch.get(key).shape == shape, key
    assert torch.equal(batch["state"][:, 1:], batch["next", "state"][:, :-1])
    assert (batch["next", "prior_std"] >= 0.1).all()


def test_kl_with_free_nats_by_hand():
    # KL(N(1, .5^2) || N(0, 1)) = log 2 + (0.25 + 1) / 2 - 0.5; KL(N(3, 1) || N(0, 1)) = 4.5
    mq, sq = torch.tensor([[1.], [3.]]), torch.tensor([[.5], [1.]])
    mp, sp = torch.zeros(2, 1, requires_grad=True), torch.ones(2, 1)
    kl = gaussian_kl(mq, sq, mp, sp)
    assert torch.allclose(kl, torch.tensor([0.6931472 + 0.625 - 0.5, 4.5]), atol=1e-6)
    ref = D.kl_divergence(D.Normal(mq, sq), D.Normal(mp, sp)).sum(-1)
    assert torch.allclose(kl, ref, atol=1e-6)
    loss = DreamerModelLoss(torch.nn.Identity(), free_nats=1.0, kl_balance=0.8).kl_loss(mp, sp, mq, sq)
    assert torch.isclose(loss, torch.tensor((1.0 + 4.5) / 2))  # the first step is lifted to the 1-nat floor
    loss.backward()
    assert torch.allclose(mp.grad, torch.tensor([[0.], [-0.8 * 3 / 2]]))  # no gradient under the floor; α of it to the prior


def test_dreamer_env_rollout_follows_the_env_conventions(models):
    wm, actor, _ = models
    env = DreamerEnv(wm, ACTION, batch_size=(4,))
    check_env_specs(env)
    start = env.reset(TensorDict({"state": torch.randn(4, S), "belief": torch.randn(4, H)}, [4]))
    with torch.no_grad(): rollout = env.rollout(7, actor, auto_reset=False, tensordict=start)
    assert rollout.batch_size == (4, 7)
    assert rollout["next", "reward"].shape == (4, 7, 1) and rollout["action"].shape == (4, 7, A)
    assert torch.equal(rollout["state"][:, 1:], rollout["next", "state"][:, :-1])
    assert torch.equal(rollout["state"][:, 0], start["state"])
    assert not rollout["next", "done"].any() and rollout["next", "done"].dtype == torch.bool
    assert ((rollout["next", "continue"] >= 0) & (rollout["next", "continue"] <= 1)).all()
    assert env.with_batch_size((2,)).reset()["belief"].shape == (2, H)


def test_one_training_step_of_the_three_losses(models):
    wm, actor, value = models
    model_loss = DreamerModelLoss(wm, free_nats=0.0)  # a fresh model's KL is under 1 nat: the floor would hide the prior's gradient
    actor_loss = DreamerActorLoss(actor, value, DreamerEnv(wm, ACTION), imagination_horizon=5)
    value_loss = DreamerValueLoss(value)
    batch = slices()
    terms = model_loss(batch)
    actor_terms, imagined = actor_loss(batch)
    assert imagined.batch_size == (B * T, 5)
    value_terms = value_loss(imagined)
    before = [p.detach().clone() for p in (*wm.parameters(), *actor.parameters(), *value.parameters())]
    total = sum(v for k, v in {**dict(terms.items()), **dict(actor_terms.items()), **dict(value_terms.items())}.items() if k.startswith("loss_"))
    assert torch.isfinite(total)
    optim = torch.optim.Adam([*wm.parameters(), *actor.parameters(), *value.parameters()], lr=1e-3)
    total.backward()
    optim.step()
    after = [p.detach() for p in (*wm.parameters(), *actor.parameters(), *value.parameters())]
    assert all(not torch.equal(a, b) for a, b in zip(before, after) if a.numel() > 1)


def test_a_tiny_run_trains_and_logs(tmp_path):
    from torchrl_lit.algorithms.dreamer import DreamerConfig, train
    from torchrl_lit.trainers import read_metrics
    cfg = DreamerConfig(env_name="Pendulum-v1", action_repeat=1, total_frames=60, init_random_frames=40, frames_per_batch=10,
                        optim_steps_per_batch=1, batch_size=2, batch_length=8, imagination_horizon=3, state_dim=4, rnn_hidden_dim=8,
                        hidden_dim=16, embedding_dim=8, eval_interval=60, eval_episodes=1, eval_max_steps=20, log_interval=20)
    result = train(cfg, tmp_path / "run", progress=False)
    m = read_metrics(result.metrics)
    assert result.frames == 60 and result.final_eval_return is not None
    assert all(k in m for k in ("loss_model_reco", "loss_model_kl", "loss_actor", "loss_value"))
    assert (tmp_path / "run" / "checkpoint" / "trainer.pt").exists()


def test_config_rejects_bad_fields():
    from torchrl_lit.algorithms.dreamer import DreamerConfig
    with pytest.raises(ValueError, match="batch_length must be a positive int"): DreamerConfig(batch_length=0)
    with pytest.raises(ValueError, match="action_repeat=2 is for dm_control"): DreamerConfig(env_name="Pendulum-v1")
    with pytest.raises(ValueError, match="kl_balance must be in"): DreamerConfig(kl_balance=2.0)
    assert DreamerConfig.from_preset("dreamer.cartpole-balance").train_ratio == 0.5


def test_cli_knows_dreamer():
    from torchrl_lit.algorithms import load_algorithm
    module, config, preset = load_algorithm("dreamer")
    assert config.__name__ == "DreamerConfig" and preset == "dreamer.cartpole-balance" and callable(module.train)


def test_torchrl_lit_train_dreamer(venv_bin, tmp_path, clean_env):
    tiny = ["--env_name=Pendulum-v1", "--action_repeat=1", "--total_frames=40", "--init_random_frames=30", "--frames_per_batch=10",
            "--optim_steps_per_batch=1", "--batch_size=2", "--batch_length=8", "--imagination_horizon=2", "--state_dim=4",
            "--rnn_hidden_dim=8", "--hidden_dim=8", "--embedding_dim=8", "--eval_interval=40", "--eval_episodes=1", "--eval_max_steps=10"]
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", "dreamer", "--no-progress", "--run-dir", "run", *tiny],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "run" / "metrics.csv").exists() and (tmp_path / "run" / "checkpoint" / "trainer.pt").exists()


def _pixel_cfg(**overrides):
    from torchrl_lit.algorithms.dreamer import DreamerConfig
    tiny = dict(total_frames=120, init_random_frames=40, frames_per_batch=10, optim_steps_per_batch=2, batch_size=4, batch_length=16,
                imagination_horizon=3, state_dim=4, rnn_hidden_dim=8, hidden_dim=16, conv_channels=4, eval_interval=120, eval_episodes=1,
                eval_max_steps=10, log_interval=30)
    return DreamerConfig.from_preset("dreamer.cartpole-balance-pixels", **{**tiny, **overrides})


def test_pixel_env_renders_uint8_frames_and_the_policy_sees_centred_floats():
    from torchrl_lit.algorithms.dreamer import _make_env
    env = _make_env(_pixel_cfg())
    base = env.base_env.observation_spec["pixels"]
    assert (base.shape, base.dtype) == ((64, 64, 3), torch.uint8) and list(env.base_env.observation_spec.keys()) == ["pixels"]
    assert env.base_env.frame_skip == 2
    spec = env.observation_spec["pixels"]
    assert (spec.shape, spec.dtype) == ((3, 64, 64), torch.float32)
    check_env_specs(env)
    td = env.rollout(3)
    assert td["pixels"].shape == (3, 3, 64, 64) and -0.5 <= td["pixels"].min() and td["pixels"].max() <= 0.5
    assert td["is_init"].squeeze(-1).tolist() == [True, False, False]
    env.close()


def test_the_buffer_stores_uint8_frames_and_gives_back_the_same_floats():
    from torchrl_lit.algorithms.dreamer import _PixelsAsUint8
    u = torch.randint(0, 256, (6, 3, 64, 64), dtype=torch.uint8)
    x = u.float().div(255) * 1.0 + (-0.5)  # what ToTensorImage and ObservationNorm(loc=-0.5) make of a frame
    td = TensorDict({"pixels": x, "next": TensorDict({"pixels": x.clone(), "reward": torch.zeros(6, 1)}, [6])}, [6])
    stored = _PixelsAsUint8().inv(td)
    assert torch.equal(stored["pixels"], u) and torch.equal(stored["next", "pixels"], u) and td["pixels"].dtype == torch.float32
    assert torch.equal(_PixelsAsUint8()(stored)["next", "pixels"], x)


def test_config_refuses_pixels_for_a_gymnasium_task():
    from torchrl_lit.algorithms.dreamer import DreamerConfig
    with pytest.raises(ValueError, match="from_pixels=True renders dm_control tasks"):
        DreamerConfig(env_name="Pendulum-v1", action_repeat=1, from_pixels=True)
    assert DreamerConfig().from_pixels is False  # the state road is the default


def test_a_hundred_agent_steps_from_pixels_train_and_lower_the_model_loss(tmp_path):
    from torchrl_lit.algorithms.dreamer import train
    from torchrl_lit.trainers import read_metrics
    result = train(_pixel_cfg(), tmp_path / "run", progress=False)
    m = read_metrics(result.metrics)
    assert result.frames == 120 and m["optim_steps"][-1] == 2 * 9 and result.final_eval_return is not None
    reco = [v for v in m["loss_model_reco"] if v == v]  # rows logged every 30 agent steps; those before the first update are NaN
    assert len(reco) >= 2 and reco[-1] < reco[0], reco
    assert all(torch.isfinite(torch.tensor(m[k][-1])) for k in ("loss_model_kl", "loss_actor", "loss_value"))
    assert (tmp_path / "run" / "checkpoint" / "replay_buffer").is_dir()


def test_plot_reconstructions_draws_three_rows(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torchrl_lit.algorithms.dreamer import _make_env, make_dreamer_models, plot_reconstructions
    from torchrl_lit.envs import RandomPolicy
    cfg = _pixel_cfg()
    env = _make_env(cfg)
    torch.manual_seed(0)
    wm = make_dreamer_models(cfg, env)[0]
    episode = env.rollout(8, RandomPolicy(env.action_spec))
    fig = plot_reconstructions(wm, episode, env.action_spec, context=3, num_frames=6)
    assert len(fig.axes) == 3 * 6 and sum(len(ax.images) for ax in fig.axes) == 6 + 6 + 3
    plt.close(fig)
    with pytest.raises(ValueError, match="need 0 < context < num_frames"): plot_reconstructions(wm, episode, env.action_spec, 6, 6)
    env.close()


def test_torchrl_lit_train_dreamer_pixels_preset(venv_bin, tmp_path, clean_env):
    tiny = ["--total_frames=40", "--init_random_frames=30", "--optim_steps_per_batch=1", "--batch_size=2", "--batch_length=8",
            "--imagination_horizon=2", "--state_dim=4", "--rnn_hidden_dim=8", "--hidden_dim=8", "--conv_channels=2",
            "--eval_interval=40", "--eval_episodes=1", "--eval_max_steps=5"]
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", "dreamer", "--preset", "cartpole-balance-pixels", "--no-progress",
                          "--run-dir", "run", *tiny], capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert res.returncode == 0, res.stderr
    assert '"from_pixels": true' in (tmp_path / "run" / "config.json").read_text()
    assert (tmp_path / "run" / "checkpoint" / "trainer.pt").exists()
