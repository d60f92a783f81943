from .job import cli

cli()
