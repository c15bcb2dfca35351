"""A tiny LM set-up shared by test_distributed.py and its worker processes (dropout 0, fp32, SGD)."""

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
