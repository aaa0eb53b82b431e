"""Views of a Plan, DriftReport or ApplyReport: terminal (rich), JSON and Markdown.

Every format renders the same value; none of them decides anything.
"""
