"""Where does a DBConformer look on real EEG? PhysionetMI subject 1, imagery left vs right fist.

Trains the paper's DBConformer (both branches) on the 45 left/right imagery trials of subject 1
(runs R04/R08/R12 from ../shared/data), then writes to docs/img/:

- ``physionet_s1_attention.png``: mean channel attention (all trials, per class);
- ``physionet_s1_gradient.png``: input x gradient relevance of the same model;

and prints the top channels of each. Trials are explained on the training set (as in the
DBConformer paper's attention figures): this shows what the model uses, not how well it
generalises. About a minute on two CPU cores.

    python benchmarks/physionet_attention.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--subject", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out-dir", default="docs/img")
    args = parser.parse_args()
    os.environ.setdefault("MOABB_DOWNLOAD_PROVIDER", "upstream")

    import torch

    from eegdec.interpret.channels import normalize_ch_name
    from eegdec.interpret.topomap import plot_class_topomaps
    from eegdec.models import create_model
    from eegdec.models.relevance import channel_relevance, top_channels
    from eegdec.preprocessing.load import load_epochs

    torch.set_num_threads(2)
    data = load_epochs("PhysionetMI", [args.subject], paradigm="LeftRightImagery",
                       data_dir=args.data_dir)
    X = (data.X / data.X.std()).astype(np.float32)
    model = create_model("dbconformer", data.n_chans, len(data.classes), data.n_times,
                         data.sfreq, seed=args.seed)
    torch.manual_seed(args.seed)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(data.y)
    for _ in range(args.epochs):
        model.train()
        for idx in torch.randperm(len(Xt)).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(Xt).argmax(1) == yt).float().mean())
    names = [normalize_ch_name(c) for c in data.ch_names]
    print(f"{data}\ntraining accuracy after {args.epochs} epochs: {acc:.3f}")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = {
        "attention": channel_relevance(model, X)[0],
        "gradient": channel_relevance(model, X, method="input_x_gradient", target=data.y)[0],
    }
    for kind, rel in results.items():
        motor = rel[:, [names.index(c) for c in ("C3", "C4", "Cz")]].sum(1).mean()
        print(f"{kind}: top-5 {top_channels(rel, names, 5)}; C3+Cz+C4 share {motor:.3f} "
              f"(uniform {3 / len(names):.3f}); max/min channel {rel.mean(0).max():.4f}/"
              f"{rel.mean(0).min():.4f}")
        for c, cls in enumerate(data.classes):
            print(f"  {cls}: top-5 {top_channels(rel[data.y == c], names, 5)}")
        fig = plot_class_topomaps(rel, data.y, data.ch_names, data.classes, data.montage,
                                  title=f"PhysionetMI S{args.subject:03d}: DBConformer {kind}")
        path = out / f"physionet_s{args.subject}_{kind}.png"
        fig.savefig(path, dpi=70)
        print(f"  figure: {path} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
