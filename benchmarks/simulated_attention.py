"""Does DBConformer's channel attention find the informative channels of simulated imagery?

Trains DBConformer on ``SimMI-2class`` (left vs right hand; ERD sources under C3/C4, shifted
per subject) with a plain Adam loop, and prints, every ``--every`` epochs and for each seed, the
training accuracy and the top-5 channels of the trial-averaged channel attention. The
reference is the data itself: the channels whose log band power separates the classes best
(ROC AUC of log-variance per channel), printed first.

Options vary what the experiments in docs/interpret.md varied: Euclidean alignment, input
scale, the spread of the spatial positional embedding (the spec draws it from N(0, 1)), the
branches, and ``--branch-dropout P``, an experiment that zeroes one branch's features for a
share P of the training trials so the head cannot rely on the temporal branch alone.

    python benchmarks/simulated_attention.py --seeds 1 2 3 --epochs 100
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np


def informative_channels(X: np.ndarray, y: np.ndarray, names: list[str], k: int = 5) -> str:
    from sklearn.metrics import roc_auc_score

    log_var = np.log(X.var(axis=-1))
    auc = np.array([roc_auc_score(y, log_var[:, c]) for c in range(X.shape[1])])
    order = np.argsort(-np.abs(auc - 0.5))[:k]
    return " ".join(f"{names[i]}:{auc[i]:.2f}" for i in order)


def add_branch_dropout(model, p: float, seed: int) -> None:
    """Zero the temporal or the spatial half of the fused features for a share p of trials."""
    import torch

    half = model.head[0].in_features // 2
    gen = torch.Generator().manual_seed(seed)

    def hook(module, args):
        (feats,) = args
        if not module.training:
            return None
        n = feats.shape[0]
        drop = torch.rand(n, generator=gen) < p
        which = torch.randint(0, 2, (n,), generator=gen)
        mask = torch.ones(n, 2)
        mask[drop, which[drop]] = 0
        return (feats * mask.repeat_interleave(half, dim=1),)

    model.head.register_forward_pre_hook(hook)


def train(args, X: np.ndarray, y: np.ndarray, names: list[str], sfreq: float, seed: int) -> None:
    import torch

    from eegdec.models import create_model
    from eegdec.models.relevance import channel_relevance

    model = create_model("dbconformer", len(names), 2, X.shape[2], sfreq, seed=seed,
                         branches=args.branches)
    with torch.no_grad():
        model.s_pos.mul_(args.pos_scale)
    if args.branch_dropout:
        add_branch_dropout(model, args.branch_dropout, seed)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    motor = [names.index("C3"), names.index("C4")]

    def report(epoch: int) -> None:
        model.eval()
        with torch.no_grad():
            acc = float((model(Xt).argmax(1) == yt).float().mean())
        mean = channel_relevance(model, X)[0].mean(axis=0)
        top = " ".join(f"{names[i]}:{mean[i]:.3f}" for i in np.argsort(-mean)[:5])
        print(f"seed {seed} epoch {epoch:3d} train acc {acc:.2f} | top-5 {top} | C3+C4 "
              f"{mean[motor].sum():.3f} (uniform {2 / len(names):.3f})", flush=True)

    report(0)
    torch.manual_seed(seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for idx in torch.randperm(len(Xt)).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
        if epoch % args.every == 0:
            report(epoch)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subject", type=int, default=1)
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--every", type=int, default=50)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--decimate", type=int, default=4, help="250 Hz -> 62.5 Hz by default")
    p.add_argument("--alignment", choices=["none", "euclidean"], default="none")
    p.add_argument("--scale", type=float, default=1.0, help="input sd after scaling")
    p.add_argument("--pos-scale", type=float, default=1.0, help="times the N(0,1) embedding")
    p.add_argument("--branches", choices=["both", "spatial"], default="both")
    p.add_argument("--branch-dropout", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()

    import torch

    from eegdec.preprocessing.alignment import EuclideanAlignment
    from eegdec.preprocessing.load import load_epochs

    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    data = load_epochs("SimMI-2class", subjects=[args.subject])
    X = data.X[:, :, ::args.decimate]
    if args.alignment == "euclidean":
        X = EuclideanAlignment().fit(X).transform(X)
    X = (args.scale * X / X.std()).astype(np.float32)
    print(f"SimMI-2class S{args.subject}: {X.shape}; informative channels (log-power AUC): "
          f"{informative_channels(X, data.y, data.ch_names)}")
    for seed in args.seeds:
        train(args, X, data.y, data.ch_names, data.sfreq / args.decimate, seed)


if __name__ == "__main__":
    main()
