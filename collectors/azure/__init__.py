"""Azure collector: Azure Machine Learning and the identities, keys, networks and logging around it."""
