"""Build models from the registry, look inside DBConformer, and see a minimum-input error.

    python examples/create_model.py
"""

import torch

from eegdec.errors import EEGDecError
from eegdec.models import create_model, list_models

print("torch models:", ", ".join(m.name for m in list_models("torch")))

# DBConformer for BNCI2014001-sized trials: 22 channels x 1001 samples at 250 Hz, 4 classes.
model = create_model("dbconformer", n_chans=22, n_outputs=4, n_times=1001, sfreq=250.0, seed=0)
model.eval()
x = torch.randn(8, 22, 1001)
with torch.no_grad():
    logits, extras = model(x, return_features=True)
print("logits", tuple(logits.shape), "features", tuple(extras["features"].shape))
print("channel attention of trial 0 (sums to 1):", extras["channel_attention"][0].numpy().round(3))
print("params:", sum(p.numel() for p in model.parameters()))

# An ablation: temporal branch only, deeper.
ablation = create_model("dbconformer", 22, 4, 1001, 250.0, branches="temporal", depth_t=4)
print("temporal-only, depth 4:", sum(p.numel() for p in ablation.parameters()), "params")

# A braindecode baseline, with its arguments filled from the data.
eegnet = create_model("eegnet-paper", n_chans=22, n_outputs=4, n_times=1001, sfreq=250.0)
print("eegnet-paper logits:", tuple(eegnet(x).shape))

# Too-short input: the error names the minimum.
try:
    create_model("shallowconvnet", n_chans=28, n_outputs=2, n_times=50, sfreq=100.0)
except EEGDecError as exc:
    print("error:", exc)

# A classical pipeline is an unfitted sklearn estimator on (n, C, T) arrays.
print(create_model("ts-lr", n_chans=22, n_outputs=4, n_times=1001, sfreq=250.0))
