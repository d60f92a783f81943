"""Range checks of command-line numbers, shared by every CLI (argparse `type=` functions and a dataclass check).

A bad number is refused before any work starts, with its flag, the value and the range: `--batch-size 0` gives
"error: argument --batch-size: 0 must be an integer >= 1". Only stdlib; lives in the ground floor with `atomic`.
"""

import argparse
import math


def _bound(low, high, spec=""):
    """The range in words: "in [low, high]", or ">= low" without an upper bound (`spec`: the numbers' format)."""
    return f"in [{low:{spec}}, {high:{spec}}]" if high is not None else f">= {low:{spec}}"


def _int_problem(value, low, high):
    """`(integer, None)` or `(None, why not)` for a flag's text `value`."""
    text = str(value).strip()
    if not text.lstrip("+-").isdigit() or len(text) > 20:
        return None, f"{value!r} is not an integer"
    result = int(text)
    if result < low or (high is not None and result > high):
        return None, f"{value} must be an integer {_bound(low, high)}"
    return result, None


def count(low=1, high=None):
    """An argparse `type` for an integer in [`low`, `high`] (`high=None`: no upper bound)."""

    def parse(value):
        number, problem = _int_problem(value, low, high)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return number

    parse.__name__ = "integer"
    return parse


def number(low=0.0, high=None):
    """An argparse `type` for a finite float in [`low`, `high`] (`high=None`: no upper bound)."""

    def parse(value):
        try:
            result = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if not math.isfinite(result) or result < low or (high is not None and result > high):
            raise argparse.ArgumentTypeError(f"{value} must be a finite number {_bound(low, high, 'g')}")
        return result

    parse.__name__ = "number"
    return parse


def check_fields(args, counts=(), numbers=()):
    """Checks dataclass arguments (`HfArgumentParser`): `counts` maps field -> (low, high) integers, `numbers` maps
    field -> (low, high) finite floats (`high=None`: no upper bound). A field left at `None` (an `Optional` flag that
    was not given) is not checked.

    Raises:
        `ValueError`: "--field-name=value must be ...", for the first field out of range.
    """
    for name, (low, high) in dict(counts).items():
        value = getattr(args, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            raise ValueError(f"--{name.replace('_', '-')}={value!r} must be an integer {_bound(low, high)}.")
    for name, (low, high) in dict(numbers).items():
        value = getattr(args, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < low or (
                high is not None and value > high):
            raise ValueError(f"--{name.replace('_', '-')}={value!r} must be a finite number {_bound(low, high, 'g')}.")


def run_cli(main, argv=None):
    """Runs a command's `main(argv)`; a `ValueError` (a bad value, already named with its fix) is printed as one
    `error: ...` line on stderr with exit status 2, the way argparse reports a bad flag, instead of a traceback.

    Args:
        main (`Callable`): the command's entry point.
        argv (`list[str]`, *optional*): arguments (default: `sys.argv[1:]`).
    """
    import sys

    try:
        return main(argv) if argv is not None else main()
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
