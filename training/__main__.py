"""`python -m training ...`: train LiRA (both stages), merge, save; see `training/train.py`."""

import json

from .distributed import finish_distributed
from .train import parse_args, run_training


def main(argv=None):
    args = parse_args(argv)
    try:
        facts = run_training(args)
    finally:
        finish_distributed()
    print(json.dumps({k: facts[k] for k in ("train_queries", "best_metric", "best_checkpoint")}, default=str))
    print(f"merged model: {args.output_dir}")


if __name__ == "__main__":
    main()
