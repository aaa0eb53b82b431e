"""connectorops: custom connectors for Logic Apps and Power Platform, managed the GitOps way.

Desired state lives in git as YAML; a reconcile engine plans, applies and detects drift.
"""

__version__ = "0.1.0"
