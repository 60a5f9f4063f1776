"""The store's interface, shared by every backend: one protocol per concern with the records
its methods take and return. A backend (:mod:`gateway.store.sqlite`) implements them all."""
