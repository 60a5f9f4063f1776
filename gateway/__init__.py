"""Euregate, the information-exchange gateway of the Meuse-Rhine Euregio."""

__version__ = "0.1.0"
