"""Sub-commands of the ``rmtcheck`` CLI, one module each (``add_parser(subparsers)``)."""
