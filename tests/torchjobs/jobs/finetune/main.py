"""Fine-tune a sequence classifier with the Hugging Face Trainer, as the transformers
documentation's "Fine-tune a pretrained model" tutorial does, but on a tiny BERT built
from a config and on random token ids (nothing is downloaded from a model hub).

Written for jobpack's tests (issue #20) after that tutorial; the libraries it drives are
unmodified: transformers' Trainer (and through it accelerate), datasets, torch.
"""

import argparse

import numpy as np
import torch
from datasets import Dataset
from transformers import (BertConfig, BertForSequenceClassification, Trainer,
                          TrainingArguments)


def synthetic(rows: int, length: int, vocab: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, size=(rows, length))
    return Dataset.from_dict({"input_ids": ids.tolist(),
                              "attention_mask": np.ones_like(ids).tolist(),
                              "labels": (ids[:, 0] % 2).tolist()})


def compute_metrics(prediction):
    logits, labels = prediction
    return {"accuracy": float((np.argmax(logits, axis=-1) == labels).mean())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default="out")
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    config = BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, num_labels=2)
    model = BertForSequenceClassification(config)
    training = TrainingArguments(output_dir=args.output, max_steps=args.steps,
                                 per_device_train_batch_size=4, report_to=[],
                                 use_cpu=True, save_strategy="no", logging_steps=1)
    trainer = Trainer(model=model, args=training, train_dataset=synthetic(16, 8, 64, 0),
                      eval_dataset=synthetic(8, 8, 64, 1), compute_metrics=compute_metrics)
    trainer.train()
    print("eval", trainer.evaluate())


if __name__ == "__main__":
    main()
