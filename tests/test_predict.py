"""`nnspec predict`: images, texts and .npz rows, preprocessed as in training, answered with
the checkpoint's class names."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from shape_images import CLASSES

import nnspec
from nnspec.cli import main
from nnspec.train import sources
from nnspec.train.assess import assess
from nnspec.train.errors import DataError
from nnspec.train.predict import predict

pytestmark = pytest.mark.usefixtures("one_thread")


def test_evaluate_on_one_class_equals_the_share_of_predict_answers_for_it(shapes_run, tmp_path):
    spec = nnspec.load(shapes_run["spec"])
    for name in CLASSES:
        folder = tmp_path / name
        shutil.copytree(shapes_run["data"] / name, folder / name)
        files = sorted(str(p) for p in (folder / name).iterdir())
        answers = predict(spec, shapes_run["weights"], files)
        assert [a["input"] for a in answers] == files
        share = sum(a["class"] == name for a in answers) / len(files)
        scored = assess(spec, shapes_run["weights"], f"images:{folder}")
        assert scored["accuracy"] == share
        assert scored["confusion"][CLASSES.index(name)] == [sum(a["class"] == c for a in answers) for c in CLASSES]


def test_answers_carry_probabilities_and_the_top_classes(shapes_run):
    files = [str(p) for p, _ in shapes_run["files"]["square"][:3]]
    answers = predict(nnspec.load(shapes_run["spec"]), shapes_run["weights"], files, top_k=2)
    for a in answers:
        assert len(a["top"]) == 2 and a["top"][0] == {"class": a["class"], "probability": a["probability"]}
        assert a["top"][0]["probability"] >= a["top"][1]["probability"] and 0 < a["probability"] <= 1
    every = predict(nnspec.load(shapes_run["spec"]), shapes_run["weights"], files[:1], top_k=10)[0]["top"]
    assert sorted(t["class"] for t in every) == sorted(CLASSES)
    assert sum(t["probability"] for t in every) == pytest.approx(1.0, abs=1e-6)

    runner = CliRunner()
    result = runner.invoke(main, ["predict", shapes_run["spec"], "-w", shapes_run["weights"], *files, "-k", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{a['input']}: {a['class']} {a['probability']:.4f}  ({a['top'][1]['class']} {a['top'][1]['probability']:.4f})"
        for a in answers]
    lines = runner.invoke(main, ["predict", shapes_run["spec"], "-w", shapes_run["weights"], *files, "--json",
                                 "-k", "2"]).stdout.splitlines()
    assert [json.loads(line) for line in lines] == answers


def test_a_folder_and_an_npz_file_give_the_same_answers_as_the_files(shapes_run, tmp_path):
    spec = nnspec.load(shapes_run["spec"])
    folder = shapes_run["data"] / "ring"
    files = sorted(str(p) for p in folder.iterdir())
    by_file = predict(spec, shapes_run["weights"], files)
    assert predict(spec, shapes_run["weights"], [str(folder)]) == by_file
    pixels = np.stack([sources.read_image(f, (3, 32, 32)) for f in files]).astype(np.float32) / 255
    np.savez(tmp_path / "rings.npz", image=pixels)
    by_row = predict(spec, shapes_run["weights"], [str(tmp_path / "rings.npz")])
    assert [a["input"] for a in by_row] == [f"{tmp_path / 'rings.npz'}[{i}]" for i in range(len(files))]
    assert [(a["class"], a["top"]) for a in by_row] == [(a["class"], a["top"]) for a in by_file]


def test_texts_strings_and_files_of_lines(sentiment_run, tmp_path):
    spec = nnspec.load(sentiment_run["spec"])
    answers = predict(spec, sentiment_run["weights"], ["the movie was really great", "the plot was awful and dull"])
    assert [a["class"] for a in answers] == ["positive", "negative"]
    assert answers[0]["input"] == "the movie was really great"
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("the movie was really great\n\n   \nthe plot was awful and dull\nzzz qqq\n")
    from_file = predict(spec, sentiment_run["weights"], [str(reviews)])
    assert [a["input"] for a in from_file] == [f"{reviews}:1", f"{reviews}:4", f"{reviews}:5"]
    assert [a["top"] for a in from_file[:2]] == [a["top"] for a in answers]  # padded to the longest: same answers
    # unknown words read as <unk>: any two of them give the answer "zzz qqq" gets (to float
    # rounding: that one ran in a padded batch)
    (unknown,) = predict(spec, sentiment_run["weights"], ["xyzzy plugh"])
    assert [t["class"] for t in unknown["top"]] == [t["class"] for t in from_file[2]["top"]]
    assert [t["probability"] for t in unknown["top"]] == pytest.approx([t["probability"] for t in from_file[2]["top"]],
                                                                       abs=1e-6)


def test_empty_text_and_zero_length_sequences_are_clear_errors(sentiment_run, tmp_path):
    spec = nnspec.load(sentiment_run["spec"])
    with pytest.raises(DataError) as e:
        predict(spec, sentiment_run["weights"], ["a fine film", ""])
    assert e.value.message == "input '' has no words to read"
    (tmp_path / "blank.txt").write_text("\n  \n")
    with pytest.raises(DataError, match=r"blank\.txt holds no text \(every line is blank\)"):
        predict(spec, sentiment_run["weights"], [str(tmp_path / "blank.txt")])
    np.savez(tmp_path / "ids.npz", tokens=np.array([[5, 6, 0], [0, 0, 0]]))
    with pytest.raises(DataError) as e:
        predict(spec, sentiment_run["weights"], [str(tmp_path / "ids.npz")])
    assert e.value.message == f"{tmp_path / 'ids.npz'}[1]: every token of input `tokens` is padding (0): nothing to read"
    np.savez(tmp_path / "none.npz", tokens=np.zeros((2, 0), np.int64))
    with pytest.raises(DataError, match="has sequences of length 0"):
        predict(spec, sentiment_run["weights"], [str(tmp_path / "none.npz")])
    result = CliRunner().invoke(main, ["predict", sentiment_run["spec"], "-w", sentiment_run["weights"], ""])
    assert result.exit_code == 1 and result.stderr.startswith("error: input '' has no words to read\n")
    assert "Traceback" not in result.output


def test_outputs_beyond_the_trained_classes_are_named_by_number(shapes_run, tmp_path):
    """A network with more outputs than its data has classes (allowed, with a warning): the extra
    outputs are `class 3` (evaluate and explain name them through the same class_names), never an IndexError."""
    from nnspec.train.loop import fit

    spec = tmp_path / "four.nn"
    spec.write_text(open(shapes_run["spec"]).read().replace("classes = 3", "classes = 4"))
    fit(nnspec.load(str(spec)), None, {}, {"data": f"images:{shapes_run['data']}", "epochs": 1, "batch_size": 32,
                                          "val_split": 0.0, "seed": 0}, str(tmp_path / "run"), live=False)
    files = [str(p) for p, _ in shapes_run["files"]["square"][:2]]
    answers = predict(nnspec.load(str(spec)), str(tmp_path / "run" / "last.pt"), files, top_k=4)
    assert [sorted(t["class"] for t in a["top"]) for a in answers] == [sorted([*CLASSES, "class 3"])] * 2
    result = CliRunner().invoke(main, ["predict", str(spec), "-w", str(tmp_path / "run" / "last.pt"), *files])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
