"""`nnspec evaluate`: labels through the checkpoint's class names, per-class figures, the
confusion matrix as text, JSON and PNG."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from shape_images import CLASSES

import nnspec
from nnspec.cli import main
from nnspec.train.assess import assess
from nnspec.train.errors import DataError


def subset(run, tmp_path, *classes):
    """A folder holding only ``classes`` of the shapes data."""
    for name in classes:
        shutil.copytree(run["data"] / name, tmp_path / name)
    return f"images:{tmp_path}"


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def test_a_folder_with_one_class_is_scored_with_the_checkpoints_class_ids(shapes_run, tmp_path):
    spec = nnspec.load(shapes_run["spec"])
    full = assess(spec, shapes_run["weights"], f"images:{shapes_run['data']}")
    assert full["classes"] == list(CLASSES) and full["examples"] == 180
    confusion = full["confusion"]
    assert [sum(row) for row in confusion] == [60, 60, 60]
    assert full["accuracy"] == pytest.approx(sum(confusion[i][i] for i in range(3)) / 180)
    assert full["accuracy"] > 0.8  # a model worth scoring; the figures below must agree with it

    one = assess(spec, shapes_run["weights"], subset(shapes_run, tmp_path, "square"))
    # `square` is class 2 of the checkpoint although it is the only (first) folder here
    assert one["examples"] == 60 and one["classes"] == list(CLASSES)
    assert one["confusion"][2] == confusion[2] and one["confusion"][0] == one["confusion"][1] == [0, 0, 0]
    assert one["accuracy"] == pytest.approx(confusion[2][2] / 60)
    assert one["per_class"][2] == {"class": "square", "precision": 1.0 if confusion[2][2] else None,
                                   "recall": confusion[2][2] / 60, "f1": pytest.approx(f1(1.0, confusion[2][2] / 60)),
                                   "examples": 60}
    assert one["per_class"][0]["recall"] is None

    for row, name in zip(full["per_class"], CLASSES):
        i = CLASSES.index(name)
        predicted = sum(r[i] for r in confusion)
        precision, recall = confusion[i][i] / predicted if predicted else None, confusion[i][i] / 60
        assert row == {"class": name, "precision": precision, "recall": recall,
                       "f1": pytest.approx(f1(precision or 0.0, recall)), "examples": 60}
    assert full["f1_macro"] == pytest.approx(sum(r["f1"] for r in full["per_class"]) / 3)
    # sklearn's macro F1 counts only the classes in the labels or the predictions
    present = [r["f1"] for r in one["per_class"] if r["f1"] is not None]
    assert one["f1_macro"] == pytest.approx(sum(present) / len(present))


def test_a_class_the_model_never_saw_is_refused_by_name(shapes_run, tmp_path):
    source = subset(shapes_run, tmp_path, "ring")
    shutil.copytree(shapes_run["data"] / "cross", tmp_path / "triangle")
    with pytest.raises(DataError) as e:
        assess(nnspec.load(shapes_run["spec"]), shapes_run["weights"], source)
    assert e.value.message == (f"`{source}` has the class `triangle`, which the model was not trained on; "
                               "it knows cross, ring, square")
    result = CliRunner().invoke(main, ["evaluate", shapes_run["spec"], "-w", shapes_run["weights"], "-d", source])
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {e.value.message}\n")
    assert "Traceback" not in result.output


def test_evaluate_prints_the_table_and_the_matrix_and_writes_the_png(shapes_run, tmp_path):
    runner = CliRunner()
    args = ["evaluate", shapes_run["spec"], "-w", shapes_run["weights"], "-d", f"images:{shapes_run['data']}"]
    report = json.loads(runner.invoke(main, [*args, "--json"]).stdout)
    assert {"loss", "accuracy", "examples", "classes", "per_class", "confusion"} <= set(report)
    png = tmp_path / "confusion.png"
    result = runner.invoke(main, [*args, "-o", str(png)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (f"Shapes (epoch {report['epoch']}) on images:{shapes_run['data']}: loss {report['loss']:.4f}"
                        f"  accuracy {report['accuracy']:.4f}  macro F1 {report['f1_macro']:.4f}  (180 examples)")
    assert lines[2] == "class   precision  recall      f1  examples"
    cross = report["per_class"][0]
    assert lines[3] == f"cross      {cross['precision']:.4f}  {cross['recall']:.4f}  {cross['f1']:.4f}        60"
    assert lines[7] == "confusion (rows: true class, columns: predicted)"
    assert lines[8].split() == list(CLASSES)
    assert [line.split() for line in lines[9:12]] == [[c, *map(str, row)] for c, row in zip(CLASSES, report["confusion"])]
    assert result.stderr == f"confusion matrix: {png}\n"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(png) as im:
        assert im.size[0] >= 400 and im.size[1] >= 400
