"""Sentence classification on word embeddings: Kim's TextCNN and a mean-pool MLP baseline.

    data.py     MR layout, label<TAB>text TSV, Kim's clean_str
    models.py   ClassifierConfig, SentenceClassifier (embedding modes rand/static/non-static/multichannel)
    train.py    length-bucketed batches, the Task for wordlab.training.fit, train_classifier
    metrics.py  accuracy, macro-F1, confusion matrix
    cv.py       seeded stratified k-fold cross-validation
    predict.py  load a checkpoint, predict labels with probabilities, evaluate on labelled data
    nbsvm.py    NBSVM (Wang & Manning 2012): NB-scaled word n-grams and an L2-loss SVM (--arch nbsvm)
"""

from .cv import cross_validate, kfold_indices
from .data import LabelledTexts, clean_str, read_mr, read_tsv
from ..evaluation.classification import accuracy, classification_report, confusion_matrix, macro_f1
from .models import ClassifierConfig, SentenceClassifier
from .predict import Classifier, evaluate, load_classifier
from .run import ClassifierRun, ClassifierTrainingConfig, evaluate_classifier, read_labelled, train_text_classifier
from .train import build_vocab, train_classifier

__all__ = ["cross_validate", "kfold_indices", "LabelledTexts", "clean_str", "read_mr", "read_tsv", "accuracy",
           "classification_report", "confusion_matrix", "macro_f1", "ClassifierConfig", "SentenceClassifier",
           "Classifier", "evaluate", "load_classifier", "build_vocab", "train_classifier",
           "train_text_classifier", "evaluate_classifier", "read_labelled", "ClassifierRun",
           "ClassifierTrainingConfig"]
