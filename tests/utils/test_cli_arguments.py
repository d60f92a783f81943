"""Every count and rate of the main CLIs is range-checked before work starts: a bad number names its flag, the value
and the range (argparse's exit 2, or a `ValueError` from the run arguments), never a traceback from deep inside."""

import argparse

import pytest

from lira_utils.arguments import count, number


@pytest.mark.parametrize("text, ok", [("1", 1), ("64", 64), ("+3", 3)])
def test_count_reads_integers_in_range(text, ok):
    assert count(1, 64)(text) == ok


@pytest.mark.parametrize("text, message", [("0", "0 must be an integer in \\[1, 64\\]"), ("65", "in \\[1, 64\\]"),
                                           ("-1", "must be an integer"), ("nan", "'nan' is not an integer"),
                                           ("1.5", "is not an integer"), ("9" * 30, "is not an integer")])
def test_count_names_a_bad_value(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        count(1, 64)(text)


@pytest.mark.parametrize("text", ["nan", "inf", "-0.1", "2", "x"])
def test_number_refuses_non_finite_or_out_of_range(text):
    with pytest.raises(argparse.ArgumentTypeError):
        number(0.0, 1.0)(text)


@pytest.mark.parametrize("module, argv, flag", [
    ("evaluation.__main__", ["evaluate", "--max-queries", "-1"], "--max-queries"),
    ("evaluation.__main__", ["evaluate", "--batch-size", "0"], "--batch-size"),
    ("dataset_builder.__main__", ["build", "--max-queries-per-language", "-3"], "--max-queries-per-language"),
    ("dataset_builder.__main__", ["build", "--num-candidates", "1000"], "--num-candidates"),
])
def test_cli_refuses_a_bad_count_before_any_work(module, argv, flag, capsys):
    import importlib

    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and f"argument {flag}" in capsys.readouterr().err


@pytest.mark.parametrize("field, value", [("batch_size", 0), ("stage2_steps", -5), ("learning_rate", float("nan")),
                                          ("train_noise_rate", 1.5), ("seed", -1), ("eval_steps", 0)])
def test_training_run_arguments_name_a_bad_value(field, value):
    from training.train import LiraRunArguments

    with pytest.raises(ValueError, match=f"--{field.replace('_', '-')}={value!r} must be"):
        LiraRunArguments(**{field: value})
    LiraRunArguments()  # the defaults pass


def test_study_switches_are_not_flags_of_the_main_cli_and_defaults_are_shared():
    import dataclasses

    from lira_utils import defaults
    from training.finetune import LiraFinetuneArguments
    from training.train import LiraAblation, LiraRunArguments, parse_args

    with pytest.raises(ValueError, match="--no-actor"):  # HfArgumentParser: not one of its arguments
        parse_args(["--no-actor"])
    assert {f.name for f in dataclasses.fields(LiraAblation)} == {"no_actor", "no_queues", "no_consistency",
                                                                  "no_language"}
    assert not {f.name for f in dataclasses.fields(LiraAblation)} & set(LiraRunArguments.__dataclass_fields__)
    run, ft = LiraRunArguments(), LiraFinetuneArguments()
    assert (run.seed, run.stage1_steps, run.stage2_steps, run.batch_size, run.languages) == (
        defaults.SEED, defaults.STAGE1_STEPS, defaults.STAGE2_STEPS, defaults.BATCH_SIZE, defaults.LANGUAGES)
    assert (ft.seed, ft.steps, ft.batch_size) == (defaults.SEED, run.stage1_steps + run.stage2_steps, run.batch_size)
    shared = ("train_queries_per_language", "parallel_dataset", "parallel_share")
    assert [LiraRunArguments.__dataclass_fields__[n].default for n in shared] == [
        LiraFinetuneArguments.__dataclass_fields__[n].default for n in shared]
