"""Vision backbones as EEG encoders: build each family, train one briefly, re-parameterise.

    python examples/backbone_encoder.py
"""

import torch

from eegdec.models import create_model, list_models

torch.manual_seed(0)
torch.set_num_threads(1)

# Every backbone family, tiny and small, on BNCI2014001-sized trials (22 ch, 4 s at 250 Hz).
for info in list_models("torch"):
    if info.name.split("-")[0] in ("convnext", "inceptionnext", "unireplknet", "hornet", "lsnet",
                                   "spartan", "wavemix", "transnext", "cvt"):
        model = create_model(info.name, n_chans=22, n_outputs=4, n_times=1001, sfreq=250.0)
        n = sum(p.numel() for p in model.parameters())
        print(f"{info.name:20s} {info.family:14s} {n:8,d} params")

# A toy task: a 10 Hz rhythm over the left (class 0) or right (class 1) channels, 2 s at 100 Hz.
def toy(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,))
    t = torch.arange(200) / 100.0
    x = torch.randn(n, 8, 200)
    rhythm = 1.5 * torch.sin(2 * torch.pi * 10 * t + 6.28 * torch.rand(n, 1))
    x[y == 0, :2] += rhythm[y == 0, None]
    x[y == 1, 6:] += rhythm[y == 1, None]
    return x, y


x, y = toy(96)
x_test, y_test = toy(64)
model = create_model("unireplknet", n_chans=8, n_outputs=2, n_times=200, sfreq=100.0, seed=0)
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for _ in range(25):
    model.train()
    for idx in torch.randperm(96).split(32):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
model.eval()
with torch.no_grad():
    logits, extras = model(x_test, return_features=True)
    print("unireplknet toy accuracy:", (logits.argmax(1) == y_test).float().mean().item(),
          "features", tuple(extras["features"].shape))
    # Inference form: branches and BatchNorms merged into one conv per block, same outputs.
    merged = model.reparameterize()(x_test)
    print("max |difference| after reparameterize():", (merged - logits).abs().max().item())
