"""Azure checks (Azure Machine Learning, Azure AI services and what they depend on), one module per service.

Registered when imported, but hidden from every listing until "azure" joins `checks.PROVIDERS`.
"""
