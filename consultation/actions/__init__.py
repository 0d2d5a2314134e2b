"""Every state change of the domain goes through one function here.

Each action checks permission and input, writes its rows in one transaction, and schedules
what must happen after commit (emails, live events). Views, API, commands and importers all call
these functions; none writes the models directly.
"""
