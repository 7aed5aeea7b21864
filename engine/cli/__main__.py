"""``python -m zhiqian.engine.cli`` is the ``zhiqian`` program."""

from zhiqian.engine.cli.app import main

main()
