"""Pure PLM rules: MPN parsing, names, periods, grouping. No I/O, no outside libraries."""
