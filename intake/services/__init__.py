"""The service layer: every rule of the product lives here, one unit of work per use case.

Adapters (bot, mail, web, CLI) call these functions with a ``Core``; none of them touches
the database or decides anything on its own.
"""
