"""A tiny LM and a shuffled regression task shared by test_distributed.py and its worker processes (dropout 0, fp32, SGD)."""

import numpy as np
import torch

from wordlab.lm import LMConfig, RNNLanguageModel
from wordlab.training import TrainConfig

IDS = np.random.default_rng(0).integers(0, 30, 600)
VALID = np.random.default_rng(1).integers(0, 30, 150)


def lm_model() -> RNNLanguageModel:
    torch.manual_seed(0)
    return RNNLanguageModel(LMConfig(vocab_size=30, cell="lstm", layers=2, emb_size=12, hidden_size=16, dropout=0.0,
                                     emb_dropout=0.0, tie_weights=False, init_range=0.3))


def lm_config() -> TrainConfig:
    return TrainConfig(epochs=2, optimizer="sgd", lr=0.5, clip=0.25, schedule="cosine", seed=4,
                       monitor="valid_loss", checkpoint_every=7)


class Shuffled:
    """Least squares in mini-batches shuffled by the epoch's seed (the seq2seq / classifier pattern: no
    ``shards`` attribute, so 2 ranks take alternate batches)."""

    unit = "ex"
    perplexity = False

    def __init__(self, batch: int) -> None:
        g = np.random.default_rng(0)
        self.X = torch.tensor(g.normal(size=(128, 6)), dtype=torch.float32)
        self.y = self.X @ torch.tensor(g.normal(size=(6, 1)), dtype=torch.float32)
        self.batch = batch

    def num_batches(self, epoch):
        return len(self.X) // self.batch

    def batches(self, epoch, start=0):
        order = torch.from_numpy(np.random.default_rng(100 + epoch).permutation(len(self.X)))
        for i in range(start, self.num_batches(epoch)):
            idx = order[i * self.batch:(i + 1) * self.batch]
            yield self.X[idx], self.y[idx]

    def train_step(self, model, batch):
        x, y = batch
        return torch.nn.functional.mse_loss(model(x), y), len(x)

    def evaluate(self, model):
        return {"valid_loss": torch.nn.functional.mse_loss(model(self.X), self.y).item()}

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def shuffled_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


LINES = "\n".join(" ".join(f"w{int(i)}" for i in np.random.default_rng(k).zipf(1.5, 12) % 40) for k in range(101))


def cooccurrence(lines: list[str], size: int = 40, window: int = 2):
    """Word-word counts within ``window`` (scipy CSR, ``size × size``) of lines of ``w<i>`` tokens."""
    import scipy.sparse as sp

    rows, cols = [], []
    for line in lines:
        ids = [int(w[1:]) for w in line.split()]
        for i, a in enumerate(ids):
            for b in ids[max(0, i - window):i]:
                rows += [a, b]
                cols += [b, a]
    return sp.coo_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(size, size)).tocsr()
