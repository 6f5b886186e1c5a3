"""RL²'s memory: the recurrent state is carried in the TensorDict across the episodes of a trial and across collector
batches, and is reset only where a new trial (a new task) starts; the sequence-mode policy the loss uses sees the same
memory as the acting policy did."""
import pytest
import torch

from torchrl_lit.algorithms.rl2 import RL2Config, make_rl2_env, make_rl2_models, RecurrentGAE
from torchrl_lit.collectors import SyncDataCollector


def collect(cfg: RL2Config, n_envs: int, steps_per_batch: int, n_batches: int, separate_critic: bool = False):
    "Batches whose boundaries do not line up with the trials (steps_per_batch does not divide the trial length)."
    torch.manual_seed(0)
    env = make_rl2_env(cfg, n_envs)
    env.set_seed(0)
    models = make_rl2_models(env, hidden_size=8, separate_critic=separate_critic)
    collector = SyncDataCollector(env, models[0], frames_per_batch=n_envs * steps_per_batch, total_frames=n_envs * steps_per_batch * n_batches)
    batches = [b.clone() for b in collector]
    collector.shutdown()
    return batches, models


@pytest.mark.parametrize("cfg", [RL2Config(num_arms=3, num_episodes=5),
                                 RL2Config(env_name="tabular-mdp", num_states=4, num_actions=3, episode_length=2, num_episodes=3)],
                         ids=["bandit", "mdp"])
def test_state_carried_within_trials_and_reset_between(cfg):
    batches, (policy, sequence_policy, *_) = collect(cfg, n_envs=3, steps_per_batch=4, n_batches=5)
    traj = torch.cat(batches, dim=1)  # [N, T_total], batches in time order
    L = cfg.trial_length
    h, h_next, is_init = traj["recurrent_state_h"], traj["next", "recurrent_state_h"], traj["is_init"][..., 0]
    # is_init marks trial starts only: every L steps, never at the episode ends inside a trial
    expected = (torch.arange(traj.shape[1]) % L == 0).expand_as(is_init)
    assert torch.equal(is_init, expected)
    episode_end = traj["next", "episode_done"][..., 0] & ~traj["next", "done"][..., 0]
    if cfg.env_name == "tabular-mdp": assert episode_end.any()  # there are episode boundaries inside trials ...
    carried = ~is_init[:, 1:]
    assert torch.equal(h[:, 1:][carried], h_next[:, :-1][carried])  # ... and across them (and batch cuts) the state is carried
    assert (4 % L != 0) and carried.sum() > 10
    # at each trial start the LSTM starts from zeros: the state written equals the LSTM run on a zero state
    starts = traj[is_init]
    fresh = starts.exclude("recurrent_state_h", "recurrent_state_c", "is_init", "next", "action", "logits", "sample_log_prob", "features")
    with torch.no_grad(): rerun = policy(fresh)  # no state in the TensorDict: the module starts from zeros
    assert torch.allclose(rerun["next", "recurrent_state_h"], starts["next", "recurrent_state_h"], atol=1e-6)
    assert h_next.abs().sum() > 0


@pytest.mark.parametrize("separate_critic", [False, True], ids=["shared", "separate-critic"])
def test_sequence_policy_sees_the_acting_memory(separate_critic):
    "The loss's recurrent pass over each batch (from the stored state, reset at is_init) reproduces the log-probs collected."
    cfg = RL2Config(num_arms=3, num_episodes=5)
    batches, (policy, sequence_policy, sequence_critic, step_critic) = collect(cfg, n_envs=3, steps_per_batch=4, n_batches=4,
                                                                               separate_critic=separate_critic)
    if separate_critic:  # the critic's own memory is carried by acting too, across the batch cut
        assert torch.equal(batches[2]["critic_state_h"][:, 0], batches[1]["next", "critic_state_h"][:, -1])
        assert batches[2]["critic_state_h"][:, 0].abs().sum() > 0
    for batch in batches:
        with torch.no_grad(): dist = sequence_policy.get_dist(batch.exclude("next"))
        assert torch.allclose(dist.log_prob(batch["action"]), batch["sample_log_prob"], atol=1e-5)
    # and GAE's values: V(s_t) of the sequence critic equals the step critic's, step by step
    batch = batches[1]
    out = RecurrentGAE(0.99, 0.95, sequence_critic, step_critic)(batch.clone())
    with torch.no_grad(): step_values = torch.stack([step_critic(batch[:, t].exclude("next"))["state_value"] for t in range(batch.shape[1])], 1)
    assert torch.allclose(out["state_value"], step_values, atol=1e-5)


def test_state_is_not_reset_when_the_batch_ends():
    "A batch boundary inside a trial must not clear the memory: the first step of batch k+1 reads batch k's last state."
    cfg = RL2Config(num_arms=3, num_episodes=7)
    batches, _ = collect(cfg, n_envs=2, steps_per_batch=3, n_batches=2)
    first, second = batches
    assert not second["is_init"][:, 0].any()
    assert torch.equal(second["recurrent_state_h"][:, 0], first["next", "recurrent_state_h"][:, -1])
    assert second["recurrent_state_h"][:, 0].abs().sum() > 0


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_state_carried_in_workers(method):
    "The same promise inside worker processes: one worker's batches, concatenated in time, carry the state within trials only."
    from functools import partial
    from torchrl_lit.collectors import MultiSyncDataCollector
    cfg = RL2Config(num_arms=3, num_episodes=5)
    make_env = partial(make_rl2_env, cfg, 2)
    torch.manual_seed(0)
    policy = make_rl2_models(make_env(), hidden_size=8)[0]
    collector = MultiSyncDataCollector([make_env], policy, frames_per_batch=2 * 4, total_frames=2 * 4 * 4, mp_start_method=method)
    try: batches = [b.clone() for b in collector]
    finally: collector.shutdown()
    traj = torch.cat([b.reshape(-1, b.batch_size[-1]) for b in batches], dim=-1)  # [N, T_total]
    is_init = traj["is_init"][..., 0]
    assert torch.equal(is_init, (torch.arange(traj.shape[1]) % cfg.trial_length == 0).expand_as(is_init))
    carried = ~is_init[:, 1:]
    assert torch.equal(traj["recurrent_state_h"][:, 1:][carried], traj["next", "recurrent_state_h"][:, :-1][carried])
    assert traj["next", "recurrent_state_h"].abs().sum() > 0


def test_resume_gives_the_uninterrupted_curve(tmp_path):
    "A run stopped after its checkpoint and continued with train(..., resume=True) logs what the uninterrupted run logs."
    import torchrl_lit.algorithms.rl2 as rl2
    from torchrl_lit.trainers import read_metrics, run_training
    cfg = RL2Config.from_preset("rl2.bandit-k5-n10", num_envs=16, trials_per_minibatch=8, total_frames=160 * 4, checkpoint_interval=160 * 2,
                                eval_interval=160 * 2, eval_trials=50, log_interval=160)
    full = rl2.train(cfg, tmp_path / "full", progress=False)

    class Interrupted(Exception): pass
    def interrupted_after_checkpoint(cfg, run_dir, progress):
        trainer = rl2.make_rl2_trainer(cfg, run_dir, progress)
        def stop():
            if trainer.frames > 160 * 2: raise Interrupted  # the third batch, after the checkpoint at 320 frames
        trainer.register_op("pre_optim_steps", stop)
        return trainer
    with pytest.raises(Interrupted): run_training("rl2", cfg, interrupted_after_checkpoint, tmp_path / "cut", progress=False)
    resumed = rl2.train(cfg, tmp_path / "cut", progress=False, resume=True)
    a, b = read_metrics(full.metrics), read_metrics(resumed.metrics)
    for key in ("frames", "episode_return", "loss_objective", "loss_critic"): assert a[key] == b[key], key
    assert [v for v in a["eval_return"] if v == v] == [v for v in b["eval_return"] if v == v]
