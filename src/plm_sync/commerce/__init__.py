"""CloudBlue Commerce: the APS client plm-sync pushes product lines with, and reads them back."""
