"""Validation data chosen by the user: `--val-data SOURCE`, and `images:DIR` split into
`train/` and `val/` folders; labels matched to the training classes by name."""

from __future__ import annotations

import pytest
from shape_images import SPEC, write_folder

import nnspec
from nnspec.train.errors import DataError
from nnspec.train.loop import fit

pytestmark = pytest.mark.usefixtures("one_thread")


def train(tmp_path, data, **flags):
    spec = tmp_path / "shapes.nn"
    spec.write_text(SPEC)
    return fit(nnspec.load(str(spec)), None, {}, {"data": data, "epochs": 1, "batch_size": 8, **flags},
               str(tmp_path / "run"), live=False)


def test_val_data_validates_on_another_source_with_the_training_class_ids(tmp_path, capsys):
    write_folder(tmp_path / "train", per_class=6, seed=1)
    write_folder(tmp_path / "other", per_class=4, seed=2, classes=("square",))
    result = train(tmp_path, f"images:{tmp_path / 'train'}", val_data=f"images:{tmp_path / 'other'}")
    printed = capsys.readouterr().out
    assert f"on images:{tmp_path / 'train'}: 18 examples, 4 for validation (images:{tmp_path / 'other'});" in printed
    row = result["history"][0]
    assert row["val_accuracy"] is not None
    import torch

    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert state["settings"]["val_data"] == f"images:{tmp_path / 'other'}"
    assert state["classes"] == ["cross", "ring", "square"]
    # validation is the squares alone: its accuracy is the share of them called `square`
    from nnspec.train.predict import predict

    answers = predict(nnspec.load(str(tmp_path / "shapes.nn")), str(tmp_path / "run" / "last.pt"),
                      [str(tmp_path / "other" / "square")])
    assert row["val_accuracy"] == sum(a["class"] == "square" for a in answers) / 4


def test_a_folder_split_into_train_and_val_validates_on_val(tmp_path, capsys):
    write_folder(tmp_path / "data" / "train", per_class=6, seed=3)
    write_folder(tmp_path / "data" / "val", per_class=2, seed=4)
    train(tmp_path, f"images:{tmp_path / 'data'}")
    assert "18 examples, 6 for validation (the source's own held-out set);" in capsys.readouterr().out


def test_val_data_with_a_class_never_trained_on_is_refused(tmp_path):
    write_folder(tmp_path / "train", per_class=3, seed=1, classes=("cross", "ring"))
    write_folder(tmp_path / "other", per_class=2, seed=2, classes=("square",))
    with pytest.raises(DataError, match="has the class `square`, which the model was not trained on"):
        train(tmp_path, f"images:{tmp_path / 'train'}", val_data=f"images:{tmp_path / 'other'}")
    assert not (tmp_path / "run").exists()
