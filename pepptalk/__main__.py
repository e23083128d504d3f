"""`python -m pepptalk` is the `pepptalk` command."""

from pepptalk.bot.cli import main

raise SystemExit(main())
