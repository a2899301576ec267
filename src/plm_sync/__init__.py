"""plm-sync: CloudBlue Connect flat catalogs into CloudBlue Commerce PLM hierarchical catalogs."""

__version__ = "0.1.0"
