from lira_utils.arguments import run_cli

from .job import main

run_cli(main)
