#!/usr/bin/env python
"""Django's command-line utility, with configuration errors reported on one line."""

import os
import sys

from config.startup import exit_on_configuration_error


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    with exit_on_configuration_error():
        import django

        django.setup()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
