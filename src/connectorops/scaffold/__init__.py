"""The files `connectorops init` and `connectorops new connector` write into a team's repository.

Templates ship as package data (scaffold/templates/); nothing here touches a target or git.
"""
