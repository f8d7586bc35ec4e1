"""The typed model of a published dataset, parsed once from its Frictionless descriptor.

``model.dataset`` holds the frozen records (``Dataset``, ``Resource``, ``Field`` …),
``model.parse`` is the one place that reads a descriptor dict and knows every default, and
``model.vocab`` holds the IRIs that DCAT and CKAN share (no rdflib).
"""
