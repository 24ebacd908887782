"""Google Cloud checks (Vertex AI, Workbench and what they depend on), one module per service.

Registered when imported, but hidden from every listing until "gcp" joins `checks.PROVIDERS`.
"""
